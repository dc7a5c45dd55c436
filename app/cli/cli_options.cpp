#include "app/cli/cli_options.h"

#include <cmath>
#include <exception>

namespace samlabel::cli {

std::optional<engine::DeviceSpec> parse_device(const std::string& text) {
    if (text == "auto") return engine::DeviceSpec{engine::DeviceKind::Auto, 0};
    if (text == "cpu") return engine::DeviceSpec{engine::DeviceKind::Cpu, 0};
    if (text == "cuda") return engine::DeviceSpec{engine::DeviceKind::Cuda, 0};
    // "cuda:N" with 1-3 digits: anything else is a typo, not a device.
    if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 9 &&
        text.find_first_not_of("0123456789", 5) == std::string::npos)
        return engine::DeviceSpec{engine::DeviceKind::Cuda, std::stoi(text.substr(5))};
    return std::nullopt;
}

std::optional<engine::WeightDType> parse_dtype(const std::string& text) {
    if (text == "auto") return engine::WeightDType::Auto;
    if (text == "fp32" || text == "float32") return engine::WeightDType::F32;
    if (text == "bf16" || text == "bfloat16") return engine::WeightDType::BF16;
    if (text == "fp16" || text == "float16") return engine::WeightDType::F16;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_gib(const std::string& text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (used != text.size() || !std::isfinite(value) || value < 0 || value > 1e6) return std::nullopt;
    return static_cast<std::uint64_t>(value * 1024.0 * 1024.0 * 1024.0);
}

}  // namespace samlabel::cli
