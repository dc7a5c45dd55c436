// samlabel-cli check-memory DIR [...]: the preflight of a SAM3 load, without
// loading. Exit 0 when it fits, 3 when refused (reason on stderr).
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "core/engine/checkpoint.h"
#include "core/engine/memory_budget.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/model_session.h"
#include "core/engine/memory_probe.h"
#include "core/engine/utf8_path.h"

#include <cmath>
#include <iostream>
#include <optional>
#include <string>

namespace samlabel::cli {

namespace {

constexpr const char* kUsage =
    "usage: samlabel-cli check-memory DIR [--device auto|cpu|cuda[:N]] [--dtype auto|fp32|bf16|fp16]\n"
    "                                     [--parts click|detect|click+detect] [--ram-budget GiB] [--vram-budget GiB]\n"
    "  --ram-budget GiB   keep at least this much RAM free for other programs\n"
    "  --vram-budget GiB  use at most this much VRAM (leave the rest to e.g. a training run)\n"
    "Prints the estimate and the memory available; exit 0 when the load fits, 3 when it is refused.\n";

int usage_error(const std::string& problem) {
    std::cerr << "samlabel-cli check-memory: " << problem << "\n" << kUsage;
    return kExitUsage;
}

}  // namespace

int cmd_check_memory(const Args& args) {
    std::optional<std::string> folder;
    engine::DeviceSpec device{engine::DeviceKind::Auto, 0};
    engine::WeightDType dtype = engine::WeightDType::Auto;
    engine::PartSet parts = engine::PartSet::ClickToSegment;
    engine::BudgetSettings budget;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return kExitOk;
        }
        if (arg.rfind("--", 0) == 0) {
            if (i + 1 >= args.size()) return usage_error(arg + " needs a value");
            const std::string& value = args[++i];
            if (arg == "--device") {
                const auto parsed = parse_device(value);
                if (!parsed) return usage_error("unknown device '" + value + "' (auto, cpu, cuda, cuda:N)");
                device = *parsed;
            } else if (arg == "--dtype") {
                const auto parsed = parse_dtype(value);
                if (!parsed) return usage_error("unknown dtype '" + value + "' (auto, fp32, bf16, fp16)");
                dtype = *parsed;
            } else if (arg == "--parts") {
                const auto parsed = engine::parse_part_set(value);
                if (!parsed) return usage_error("unknown parts '" + value + "' (click, detect, click+detect)");
                parts = *parsed;
            } else if (arg == "--ram-budget") {
                const auto bytes = parse_gib(value);
                if (!bytes) return usage_error("--ram-budget wants a number of GiB >= 0, not '" + value + "'");
                budget.keep_free_ram_bytes = *bytes;
            } else if (arg == "--vram-budget") {
                const auto bytes = parse_gib(value);
                if (!bytes || *bytes == 0) return usage_error("--vram-budget wants a number of GiB > 0, not '" + value + "'");
                budget.max_vram_bytes = *bytes;
            } else {
                return usage_error("unknown option " + arg);
            }
        } else if (!folder) {
            folder = arg;
        } else {
            return usage_error("more than one DIR given");
        }
    }
    if (!folder) return usage_error("no DIR given");

    const auto checkpoint = engine::Checkpoint::open(engine::path_from_utf8(*folder));
    const engine::MachineCapabilities machine = engine::machine_capabilities();
    const engine::DeviceSpec resolved_device = engine::resolve_device(device, machine);
    const engine::WeightDType resolved_dtype = engine::resolve_dtype(dtype, resolved_device, machine);
    const auto estimate = engine::estimate_load(*checkpoint, parts, resolved_dtype, resolved_device);

    const auto probe = engine::make_system_memory_probe();
    const engine::SystemMemory system = probe->system();
    const std::vector<engine::GpuMemory> gpus = probe->gpus();

    std::cout << estimate.describe() << "\n\navailable:\n"
              << "  RAM   " << engine::format_bytes(system.available_bytes) << " available of "
              << engine::format_bytes(system.total_bytes);
    if (system.cgroup_limit_bytes) std::cout << " (cgroup limit " << engine::format_bytes(*system.cgroup_limit_bytes) << ")";
    if (system.swap_used_bytes) std::cout << ", swap in use " << engine::format_bytes(system.swap_used_bytes);
    std::cout << "\n";
    if (gpus.empty()) std::cout << "  GPU   none\n";
    for (const auto& gpu : gpus)
        std::cout << "  cuda:" << gpu.index << " " << gpu.name << ": " << engine::format_bytes(gpu.free_bytes) << " free of "
                  << engine::format_bytes(gpu.total_bytes) << " (this process " << (gpu.this_process_known ? engine::format_bytes(gpu.used_by_this_process_bytes) : std::string("unknown"))
                  << ", others " << engine::format_bytes(gpu.used_by_others_bytes) << "; via " << gpu.source << ")\n";

    engine::Verdict verdict = engine::preflight(estimate, system, gpus, budget, resolved_device);
    engine::refuse_parts_the_folder_cannot_serve(checkpoint->directory(), parts, verdict);
    if (verdict.fits) {
        std::cout << "\n" << verdict.message << "\n";
        return kExitOk;
    }
    std::cerr << verdict.message << "\n";
    for (const auto& suggestion : verdict.suggestions) std::cerr << "  - " << suggestion << "\n";
    return kExitRefused;
}

}  // namespace samlabel::cli
