#pragma once
// A samlabel-cli subcommand: `samlabel-cli <name> args...`. Each command lives in
// its own cmd_<name>.cpp and is listed once in main.cpp's table.
#include <string>
#include <vector>

namespace samlabel::cli {

// Exit codes shared by all commands.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,   // the operation failed (message on stderr)
    kExitUsage = 2,     // bad arguments
    kExitRefused = 3,   // refused by the memory preflight
};

using Args = std::vector<std::string>;

struct CliCommand {
    const char* name;
    const char* summary;            // one line for `samlabel-cli --help`
    int (*run)(const Args& args);   // args after the command name
};

}  // namespace samlabel::cli
