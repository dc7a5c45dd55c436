#include "core/engine/platform/console_stop.h"

namespace samlabel::engine {

int conventional_exit_code(ConsoleStop stop) {
    // 128 + the POSIX signal number (SIGINT 2, SIGTERM 15), spelled out so
    // Windows, which has no such signals, answers the same.
    return stop == ConsoleStop::Interrupt ? 130 : 143;
}

const char* console_stop_name(ConsoleStop stop) { return stop == ConsoleStop::Interrupt ? "interrupt" : "terminate"; }

}  // namespace samlabel::engine
