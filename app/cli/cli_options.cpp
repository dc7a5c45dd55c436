#include "app/cli/cli_options.h"

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

}  // namespace samlabel::cli
