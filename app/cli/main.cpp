// samlabel-cli: the headless tool. Thin: parses the command name and hands the
// rest to the command's own file.
#include "app/cli/cli_command.h"
#include "app/cli/utf8_arguments.h"
#include "core/engine/runtime_info.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif

namespace samlabel::cli {
int cmd_version(const Args& args);
int cmd_info(const Args& args);
int cmd_check_memory(const Args& args);
int cmd_load(const Args& args);
int cmd_segment(const Args& args);
int cmd_detect(const Args& args);
int cmd_export(const Args& args);
int cmd_import(const Args& args);
int cmd_serve(const Args& args);
int cmd_health(const Args& args);
int cmd_unload(const Args& args);
int cmd_autolabel(const Args& args);
int cmd_merge(const Args& args);
}

namespace {

using samlabel::cli::CliCommand;

// One row per command, each implemented in app/cli/cmd_<name>.cpp.
const CliCommand kCommands[] = {
    {"version", "print samlabel, libtorch and CUDA versions", samlabel::cli::cmd_version},
    {"info", "parameters and bytes per part and dtype of a SAM3 checkpoint", samlabel::cli::cmd_info},
    {"check-memory", "preflight a SAM3 load against RAM/VRAM and budgets (exit 3: refused)", samlabel::cli::cmd_check_memory},
    {"load", "preflight, load, unload a SAM3 checkpoint: time, peak RSS, memory freed", samlabel::cli::cmd_load},
    {"segment", "click-to-segment one image with SAM3: scores, polygons, mask PNG", samlabel::cli::cmd_segment},
    {"detect", "find every instance of a text / exemplar boxes with SAM3: scores, boxes, masks", samlabel::cli::cmd_detect},
    {"autolabel", "find every class's prompt in a project's images with SAM3 (resumable, shardable)", samlabel::cli::cmd_autolabel},
    {"merge", "fold auto-label results (e.g. one file per shard) into a project", samlabel::cli::cmd_merge},
    {"export", "write a YOLO / COCO / PNG-mask dataset from a project", samlabel::cli::cmd_export},
    {"import", "create a project from a YOLO dataset or COCO JSON", samlabel::cli::cmd_import},
    {"serve", "run the control API + click-to-segment over HTTP without a GUI", samlabel::cli::cmd_serve},
    {"health", "ask a running samlabel / serve for its model state and memory", samlabel::cli::cmd_health},
    {"unload", "make a running samlabel / serve free its model's memory (before training)", samlabel::cli::cmd_unload},
};

void print_help() {
    std::cout << "usage: samlabel-cli <command> [args...]\n\ncommands:\n";
    for (const CliCommand& c : kCommands) std::cout << "  " << c.name << std::string(16 - std::strlen(c.name), ' ') << c.summary << "\n";
    std::cout << "\n`samlabel-cli <command> --help` describes one command.\n";
}

}  // namespace

int main(int argc, char** argv) {
#ifdef _WIN32
    // Messages name user paths in UTF-8: have the console show them as such.
    ::SetConsoleOutputCP(CP_UTF8);
#endif
    const std::vector<std::string> arguments = samlabel::cli::utf8_arguments(argc, argv);
    if (arguments.size() < 2 || arguments[1] == "--help" || arguments[1] == "-h") {
        print_help();
        return arguments.size() < 2 ? samlabel::cli::kExitUsage : samlabel::cli::kExitOk;
    }
    std::string name = arguments[1];
    if (name == "--version") name = "version";
    for (const CliCommand& c : kCommands) {
        if (name != c.name) continue;
        samlabel::cli::Args args(arguments.begin() + 2, arguments.end());
        try {
            return c.run(args);
        } catch (const std::exception& e) {
            std::cerr << "samlabel-cli " << c.name << ": " << e.what() << "\n";
            return samlabel::cli::kExitFailure;
        }
    }
    std::cerr << "samlabel-cli: unknown command '" << arguments[1] << "' (see --help)\n";
    return samlabel::cli::kExitUsage;
}
