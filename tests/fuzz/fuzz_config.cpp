// libFuzzer target: config.json and processor_config.json (the input's two
// parts) through the SAM3 tracker and detector config parsers. A config the
// native modules cannot run must be refused with std::invalid_argument naming
// the field (what Sam3Model reports as "config.json: <field>: <problem>").
#include "core/engine/sam3/common/sam3_config.h"
#include "core/engine/sam3/detector/detector_config.h"
#include "tests/fuzz/fuzz_support.h"

#include <nlohmann/json.hpp>

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fuzz::split_files(data, size, 2);
    // As Checkpoint::open and read_processor_json: invalid JSON is their error, not the parsers'.
    const nlohmann::json config = nlohmann::json::parse(parts[0], nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded()) return 0;
    nlohmann::json processor = nlohmann::json::object();
    if (!parts[1].empty()) {
        processor = nlohmann::json::parse(parts[1], nullptr, false);
        if (processor.is_discarded()) return 0;
    }
    try {
        const engine::sam3::TrackerConfig tracker = engine::sam3::parse_tracker_config(config, processor);
        if (tracker.trunk.grid_size() <= 0 || tracker.prompt_encoder.embedding_size() <= 0)
            fuzz::invariant_failed("an accepted tracker config has an empty grid");
    } catch (const std::invalid_argument&) {
    }
    try {
        const engine::sam3::DetectorConfig detector = engine::sam3::parse_detector_config(config, processor);
        if (detector.trunk.grid_size() <= 0) fuzz::invariant_failed("an accepted detector config has an empty grid");
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
