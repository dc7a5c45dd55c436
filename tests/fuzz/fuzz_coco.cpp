// libFuzzer target: a COCO instances JSON through import_coco_json (images not
// read from disk), as import_coco_file reads it. Structurally invalid files
// must give std::runtime_error "<file>: <reason>"; per-annotation problems go
// to the report.
#include "core/io/coco_import.h"
#include "tests/fuzz/fuzz_support.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return 0;  // import_coco_file's own "<file>: not valid JSON"
    io::CocoImportOptions options;
    options.image_root = "/nonexistent-fuzz-root";
    options.verify_image_files = false;
    io::ImportReport report;
    try {
        const annotation::Project project = io::import_coco_json(doc, "instances.json", options, report);
        (void)project;
    } catch (const std::runtime_error& e) {
        if (std::string_view(e.what()).rfind("instances.json", 0) != 0) fuzz::invariant_failed("the error does not name the file");
    }
    return 0;
}
