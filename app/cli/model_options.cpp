#include "app/cli/model_options.h"

#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "core/engine/sam3_parts.h"

#include <iostream>
#include <stdexcept>

namespace samlabel::cli {

const char* const kModelOptionsUsageNoParts =
    "  --device auto|cpu|cuda|cuda:N  where to load (default auto: the first GPU, else the CPU)\n"
    "  --dtype auto|fp32|bf16|fp16    the weights' dtype (default auto)\n"
    "  --ram-budget GiB   keep at least this much RAM free for other programs\n"
    "  --vram-budget GiB  use at most this much VRAM (leave the rest to e.g. a training run)\n";

const char* const kModelOptionsUsage =
    "  --device auto|cpu|cuda|cuda:N  where to load (default auto: the first GPU, else the CPU)\n"
    "  --dtype auto|fp32|bf16|fp16    the weights' dtype (default auto)\n"
    "  --parts click|detect|click+detect  what to load (default click)\n"
    "  --ram-budget GiB   keep at least this much RAM free for other programs\n"
    "  --vram-budget GiB  use at most this much VRAM (leave the rest to e.g. a training run)\n";

bool take_model_option(const std::string& arg, const std::function<const std::string&()>& next, ModelOptions& options,
                       PartsOption parts) {
    if (arg == "--device") {
        options.request.device = require_device(next());
    } else if (arg == "--dtype") {
        options.request.dtype = require_dtype(next());
    } else if (arg == "--parts" && parts == PartsOption::Accepted) {
        const std::string& value = next();
        const auto parsed = engine::parse_part_set(value);
        if (!parsed) throw std::invalid_argument("--parts must be click, detect or click+detect, got '" + value + "'");
        options.request.parts = *parsed;
    } else if (arg == "--ram-budget") {
        const std::string& value = next();
        const auto bytes = parse_gib(value);
        if (!bytes) throw std::invalid_argument("--ram-budget wants a number of GiB >= 0, got '" + value + "'");
        options.budget.keep_free_ram_bytes = *bytes;
    } else if (arg == "--vram-budget") {
        const std::string& value = next();
        const auto bytes = parse_gib(value);
        // 0 would mean "no cap" to the preflight, the opposite of what it says.
        if (!bytes || *bytes == 0) throw std::invalid_argument("--vram-budget wants a number of GiB > 0, got '" + value + "'");
        options.budget.max_vram_bytes = *bytes;
    } else {
        return false;
    }
    return true;
}

int report_load_outcome(const char* command, const engine::LoadOutcome& outcome) {
    switch (outcome.status) {
        case engine::LoadStatus::Loaded: return kExitOk;
        case engine::LoadStatus::Refused:
            std::cerr << "samlabel-cli " << command << ": refused by the memory preflight: " << outcome.message << "\n";
            if (outcome.verdict)
                for (const std::string& suggestion : outcome.verdict->suggestions) std::cerr << "  - " << suggestion << "\n";
            return kExitRefused;
        case engine::LoadStatus::Cancelled:
        case engine::LoadStatus::Failed: break;
    }
    std::cerr << "samlabel-cli " << command << ": " << outcome.message << "\n";
    return kExitFailure;
}

void use_converted_weights_cache(engine::ModelSession& session) {
    session.converted_weights().set_settings({engine::default_converted_weights_dir(), 8ull << 30});
}

}  // namespace samlabel::cli
