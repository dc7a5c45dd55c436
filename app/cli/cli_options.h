#pragma once
// Option values shared by the commands, parsed one way everywhere:
// --device auto|cpu|cuda|cuda:N, --dtype auto|fp32|bf16|fp16 (float32/bfloat16/float16
// too), sizes in GiB, lists of numbers, thresholds, counts. The model commands'
// options as a whole (with the budgets) are app/cli/model_options.h.
#include "core/engine/device_dtype_names.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::cli {

using engine::parse_device;  // core/engine/device_dtype_names.h
using engine::parse_dtype;
// A non-negative number of GiB ("2", "1.5") in bytes.
std::optional<std::uint64_t> parse_gib(const std::string& text);

// "x0,y0,x1,y1" and the like: exactly `count` numbers; throws std::invalid_argument naming `what`.
std::vector<float> parse_numbers(const std::string& text, std::size_t count, const std::string& what);
// A threshold in [0, 1]; throws std::invalid_argument naming `what`.
float parse_fraction(const std::string& text, const std::string& what);
// A whole number in [1, 1e6]; throws std::invalid_argument naming `what`.
int parse_count(const std::string& text, const std::string& what);
// --device / --dtype values; throw std::invalid_argument with the accepted forms.
engine::DeviceSpec require_device(const std::string& text);
engine::WeightDType require_dtype(const std::string& text);

}  // namespace samlabel::cli
