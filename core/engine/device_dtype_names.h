#pragma once
// The text forms of a device and a weight dtype, parsed one way for every
// front end (samlabel-cli, the benchmarks, the GPU checks):
// device auto|cpu|cuda|cuda:N, dtype auto|fp32|bf16|fp16 (float32/bfloat16/float16 too).
#include "core/engine/engine_types.h"

#include <optional>
#include <string>

namespace samlabel::engine {

std::optional<DeviceSpec> parse_device(const std::string& text);
std::optional<WeightDType> parse_dtype(const std::string& text);

}  // namespace samlabel::engine
