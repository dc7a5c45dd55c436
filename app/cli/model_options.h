#pragma once
// The options of every command that loads (or preflights) SAM3, parsed one
// way: --device, --dtype, --parts, and the memory budgets the preflight holds
// the load to. And how a load the preflight refused (or that failed) is told:
// the verdict's message and suggestions on stderr, exit 3 (refused) or 1.
#include "core/engine/model_session.h"

#include <functional>
#include <string>

namespace samlabel::cli {

// What a model command may be given.
struct ModelOptions {
    engine::LoadRequest request;   // checkpoint_dir is the command's own positional argument
    engine::BudgetSettings budget;
};

// Whether --parts is an option of the command (segment and detect load fixed parts).
enum class PartsOption { Accepted, Fixed };

// If `arg` is a model option, reads its value with next() into `options` and
// returns true; false for any other argument. Throws std::invalid_argument
// naming the option and the accepted values for a bad value.
bool take_model_option(const std::string& arg, const std::function<const std::string&()>& next, ModelOptions& options,
                       PartsOption parts = PartsOption::Accepted);

// The usage lines of those options, for a command's --help.
extern const char* const kModelOptionsUsage;       // --device, --dtype, --parts, budgets
extern const char* const kModelOptionsUsageNoParts;  // the same without --parts

// Prints why the load did not happen ("samlabel-cli <command>: refused by the
// memory preflight: <verdict>" and each suggestion, or the failure) and returns
// the exit code: kExitRefused, kExitFailure; kExitOk when it loaded (prints nothing).
int report_load_outcome(const char* command, const engine::LoadOutcome& outcome);

// The converted-weights cache every CLI load uses (~/.cache/samlabel/converted-weights, 8 GiB):
// a CPU load in bf16/fp16 of an fp32 checkpoint converts once, later loads map the result.
void use_converted_weights_cache(engine::ModelSession& session);

}  // namespace samlabel::cli
