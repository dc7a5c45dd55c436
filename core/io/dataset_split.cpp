#include "core/io/dataset_split.h"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace samlabel::io {

const char* dataset_split_name(DatasetSplit split) {
    switch (split) {
        case DatasetSplit::Train: return "train";
        case DatasetSplit::Val: return "val";
        case DatasetSplit::Test: return "test";
    }
    return "train";
}

SplitFractions parse_split_fractions(std::string_view text) {
    const std::string owned(text);
    std::vector<double> parts;
    std::size_t start = 0;
    while (start <= owned.size()) {
        const std::size_t comma = owned.find(',', start);
        const std::string item = owned.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        std::size_t used = 0;
        double value = 0.0;
        try {
            value = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size() || !std::isfinite(value) || value < 0.0)
            throw std::invalid_argument("split '" + owned + "': '" + item + "' is not a non-negative number");
        parts.push_back(value);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (parts.size() < 2 || parts.size() > 3)
        throw std::invalid_argument("split '" + owned + "': expected train,val or train,val,test");
    const double sum = parts[0] + parts[1] + (parts.size() == 3 ? parts[2] : 0.0);
    if (sum <= 0.0) throw std::invalid_argument("split '" + owned + "': fractions sum to zero");
    return SplitFractions{parts[0] / sum, parts[1] / sum, parts.size() == 3 ? parts[2] / sum : 0.0};
}

std::uint64_t fnv1a_64(std::string_view bytes, std::uint64_t hash) {
    constexpr std::uint64_t kPrime = 1099511628211ULL;
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= kPrime;
    }
    return hash;
}

double split_hash_unit(std::string_view relative_path_utf8, std::uint64_t seed) {
    char seed_bytes[8];
    for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<char>((seed >> (8 * i)) & 0xffU);
    const std::uint64_t h = fnv1a_64(relative_path_utf8, fnv1a_64(std::string_view(seed_bytes, 8)));
    // FNV-1a's low bits mix poorly for short inputs; the top 53 bits are fine.
    return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

DatasetSplit assign_dataset_split(std::string_view relative_path_utf8, const SplitFractions& fractions,
                                  std::uint64_t seed) {
    const double sum = fractions.train + fractions.val + fractions.test;
    if (!(sum > 0.0)) return DatasetSplit::Train;
    const double u = split_hash_unit(relative_path_utf8, seed);
    if (u < fractions.train / sum) return DatasetSplit::Train;
    if (u < (fractions.train + fractions.val) / sum || fractions.test <= 0.0) return DatasetSplit::Val;
    return DatasetSplit::Test;
}

}  // namespace samlabel::io
