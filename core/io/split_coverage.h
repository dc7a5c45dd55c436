#pragma once
// Every split with a share gets an image when there are enough images.
// The hash split (dataset_split.h) keeps each image's split stable as a
// project grows, but it is blind to counts: four images at 0.8 / 0.2 can all
// land in train, and Ultralytics cannot validate on an empty val. So when a
// split with a positive share is empty, the image whose hash lies nearest
// that split's range moves there, taken from a split that keeps at least one
// image, or from test, which is optional, to fill train or val (ties: the
// smaller path). It depends only on the paths and the seed,
// and a project that fills every split by itself is never touched. Images
// whose split is fixed (kept from an imported dataset) never move.
#include "core/io/dataset_split.h"

#include <cstdint>
#include <string>
#include <vector>

namespace samlabel::io {

struct SplitSlot {
    std::string path;  // the relative path the hash is taken of
    DatasetSplit split = DatasetSplit::Train;
    bool fixed = false;
};

struct SplitMove {
    std::string path;
    DatasetSplit from = DatasetSplit::Train;
    DatasetSplit to = DatasetSplit::Train;
};

// Fills empty splits (train, then val, then test when its share is > 0) in
// `slots`; returns the moves made. Splits that stay empty had no image to spare.
std::vector<SplitMove> cover_every_split(std::vector<SplitSlot>& slots, const SplitFractions& fractions, std::uint64_t seed);

}  // namespace samlabel::io
