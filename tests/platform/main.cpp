// The platform layer's checks (tests/platform/*_checks.cpp): run natively as
// test_platform_layer, and cross-compiled for Windows under wine as
// platform_layer_windows (tests/windows). Argument: a name filter.
// `--write-arguments FILE ...` is the child side of utf8_arguments_checks.cpp.
#include "tests/platform/check.h"

#include <cstring>

namespace samlabel::checks {
int write_arguments(int argc, char** argv);
}

int main(int argc, char** argv) {
    if (argc > 2 && !std::strcmp(argv[1], "--write-arguments")) return samlabel::checks::write_arguments(argc, argv);
    return samlabel::checks::run_all(argc > 1 ? argv[1] : nullptr);
}
