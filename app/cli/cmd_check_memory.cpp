// samlabel-cli check-memory DIR [...]: the preflight of a SAM3 load, without
// loading: the model session's own preflight (the one every load runs), with
// the estimate and the memory it compared. Exit 0 when it fits, 3 when
// refused (reason on stderr).
#include "app/cli/cli_command.h"
#include "app/cli/model_options.h"
#include "core/engine/memory_budget.h"
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "core/engine/utf8_path.h"

#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

namespace samlabel::cli {

namespace {

constexpr const char* kUsage =
    "usage: samlabel-cli check-memory DIR [--device auto|cpu|cuda[:N]] [--dtype auto|fp32|bf16|fp16]\n"
    "                                     [--parts click|detect|click+detect] [--ram-budget GiB] [--vram-budget GiB]\n";
constexpr const char* kWhat =
    "Prints the estimate and the memory available; exit 0 when the load fits, 3 when it is refused.\n";

std::ostream& usage(std::ostream& out) { return out << kUsage << kModelOptionsUsage << kWhat; }

}  // namespace

int cmd_check_memory(const Args& args) {
    std::optional<std::string> folder;
    ModelOptions model;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& arg = args[i];
            auto next = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
                return args[++i];
            };
            if (arg == "--help" || arg == "-h") {
                usage(std::cout);
                return kExitOk;
            }
            if (take_model_option(arg, next, model)) continue;
            if (arg.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + arg);
            if (folder) throw std::invalid_argument("more than one DIR given");
            folder = arg;
        }
        if (!folder) throw std::invalid_argument("no DIR given");
    } catch (const std::invalid_argument& e) {
        usage(std::cerr << "samlabel-cli check-memory: " << e.what() << "\n");
        return kExitUsage;
    }
    model.request.checkpoint_dir = engine::path_from_utf8(*folder);

    engine::ModelSession session;
    const engine::PreflightReport report = session.preflight(model.request, model.budget);  // throws naming the folder
    const engine::SystemMemory system = session.probe().system();
    const std::vector<engine::GpuMemory> gpus = session.probe().gpus();

    std::cout << report.estimate.describe() << "\n\navailable:\n"
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

    const engine::Verdict& verdict = report.verdict;
    if (verdict.fits) {
        std::cout << "\n" << verdict.message << "\n";
        return kExitOk;
    }
    std::cerr << verdict.message << "\n";
    for (const auto& suggestion : verdict.suggestions) std::cerr << "  - " << suggestion << "\n";
    return kExitRefused;
}

}  // namespace samlabel::cli
