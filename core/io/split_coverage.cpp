#include "core/io/split_coverage.h"

#include <array>
#include <limits>

namespace samlabel::io {
namespace {

struct Range {
    double lo = 0.0, hi = 0.0;  // [lo, hi) of the hash unit, as assign_dataset_split uses it
};

double distance(double u, const Range& r) {
    if (u < r.lo) return r.lo - u;
    if (u >= r.hi) return u - r.hi;
    return 0.0;
}

}  // namespace

std::vector<SplitMove> cover_every_split(std::vector<SplitSlot>& slots, const SplitFractions& f, std::uint64_t seed) {
    std::vector<SplitMove> moves;
    const double sum = f.train + f.val + f.test;
    if (!(sum > 0.0)) return moves;
    const double t = f.train / sum, v = f.val / sum;
    const std::array<std::pair<DatasetSplit, Range>, 3> splits = {{
        {DatasetSplit::Train, {0.0, t}},
        {DatasetSplit::Val, {t, f.test > 0.0 ? t + v : 1.0}},
        {DatasetSplit::Test, {t + v, 1.0}},
    }};
    const std::array<double, 3> shares = {f.train, f.val, f.test};
    auto count = [&](DatasetSplit s) {
        std::size_t n = 0;
        for (const SplitSlot& slot : slots) n += slot.split == s;
        return n;
    };
    for (std::size_t k = 0; k < splits.size(); ++k) {
        const auto& [target, range] = splits[k];
        if (!(shares[k] > 0.0) || count(target) > 0) continue;
        SplitSlot* best = nullptr;
        double best_distance = std::numeric_limits<double>::infinity();
        for (SplitSlot& slot : slots) {
            // A donor keeps an image, except that the optional test split
            // gives its last one to train or val, which training needs.
            const bool spare = count(slot.split) >= 2 || (slot.split == DatasetSplit::Test && target != DatasetSplit::Test);
            if (slot.fixed || !spare) continue;
            const double d = distance(split_hash_unit(slot.path, seed), range);
            if (d < best_distance || (d == best_distance && best && slot.path < best->path)) {
                best = &slot;
                best_distance = d;
            }
        }
        if (!best) continue;
        moves.push_back(SplitMove{best->path, best->split, target});
        best->split = target;
    }
    return moves;
}

}  // namespace samlabel::io
