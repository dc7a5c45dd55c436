#include "core/engine/device_dtype_names.h"

namespace samlabel::engine {

std::optional<DeviceSpec> parse_device(const std::string& text) {
    if (text == "auto") return DeviceSpec{DeviceKind::Auto, 0};
    if (text == "cpu") return DeviceSpec{DeviceKind::Cpu, 0};
    if (text == "cuda") return DeviceSpec{DeviceKind::Cuda, 0};
    // "cuda:N" with 1-3 digits: anything else is a typo, not a device.
    if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 9 &&
        text.find_first_not_of("0123456789", 5) == std::string::npos)
        return DeviceSpec{DeviceKind::Cuda, std::stoi(text.substr(5))};
    return std::nullopt;
}

std::optional<WeightDType> parse_dtype(const std::string& text) {
    if (text == "auto") return WeightDType::Auto;
    if (text == "fp32" || text == "float32") return WeightDType::F32;
    if (text == "bf16" || text == "bfloat16") return WeightDType::BF16;
    if (text == "fp16" || text == "float16") return WeightDType::F16;
    return std::nullopt;
}

}  // namespace samlabel::engine
