// The platform layer's checks (tests/platform/*_checks.cpp): run natively as
// test_platform_layer, and cross-compiled for Windows under wine as
// platform_layer_windows (tests/windows). Argument: a name filter.
#include "tests/platform/check.h"

int main(int argc, char** argv) { return samlabel::checks::run_all(argc > 1 ? argv[1] : nullptr); }
