// The platform layer's checks (tests/platform/*_checks.cpp): run natively as
// test_platform_layer, and cross-compiled for Windows under wine as
// platform_layer_windows (tests/windows). Argument: a name filter.
// `--write-arguments FILE ...` is the child side of utf8_arguments_checks.cpp,
// `--console-stop-child MODE READY_FILE` that of console_checks.cpp.
#include "core/engine/utf8_path.h"
#include "tests/platform/check.h"

#include <cstring>
#include <filesystem>
#include <string>

namespace samlabel::checks {
int write_arguments(int argc, char** argv);
int console_stop_child(const std::string& mode, const std::filesystem::path& ready_file);
}

int main(int argc, char** argv) {
    if (argc == 4 && !std::strcmp(argv[1], "--console-stop-child"))
        return samlabel::checks::console_stop_child(argv[2], samlabel::engine::path_from_utf8(argv[3]));
    if (argc > 2 && !std::strcmp(argv[1], "--write-arguments")) return samlabel::checks::write_arguments(argc, argv);
    return samlabel::checks::run_all(argc > 1 ? argv[1] : nullptr);
}
