#include "app/cli/cli_command.h"
#include "core/engine/runtime_info.h"

#include <iostream>

namespace samlabel::cli {

int cmd_version(const Args&) {
    std::cout << "samlabel-cli " << SAMLABEL_VERSION << "\n" << engine::runtime_summary() << "\n";
    return kExitOk;
}

}  // namespace samlabel::cli
