#include "app/cli/cli_options.h"

#include <sstream>
#include <stdexcept>

#include <cmath>
#include <exception>

namespace samlabel::cli {

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

std::vector<float> parse_numbers(const std::string& text, std::size_t count, const std::string& what) {
    std::vector<float> out;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');) {
        try {
            std::size_t used = 0;
            out.push_back(std::stof(part, &used));
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            throw std::invalid_argument(what + " '" + text + "': '" + part + "' is not a number");
        }
    }
    if (out.size() != count) throw std::invalid_argument(what + " '" + text + "' needs " + std::to_string(count) + " numbers");
    return out;
}

float parse_fraction(const std::string& text, const std::string& what) {
    const float v = parse_numbers(text, 1, what)[0];
    if (!(v >= 0.f && v <= 1.f)) throw std::invalid_argument(what + " must lie in [0, 1], got " + text);
    return v;
}

int parse_count(const std::string& text, const std::string& what) {
    const float v = parse_numbers(text, 1, what)[0];
    if (!(v >= 1.f && v <= 1e6f) || v != float(int(v))) throw std::invalid_argument(what + " must be a whole number >= 1, got " + text);
    return int(v);
}

engine::DeviceSpec require_device(const std::string& text) {
    if (const auto device = parse_device(text)) return *device;
    throw std::invalid_argument("--device must be auto, cpu, cuda or cuda:N, got '" + text + "'");
}

engine::WeightDType require_dtype(const std::string& text) {
    if (const auto dtype = parse_dtype(text)) return *dtype;
    throw std::invalid_argument("--dtype must be auto, fp32, bf16 or fp16, got '" + text + "'");
}

}  // namespace samlabel::cli
