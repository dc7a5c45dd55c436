#pragma once
// Deterministic train/val/test assignment. Each image's split depends only on
// its relative path and the seed (never on the order or number of images), so
// re-exporting a grown project keeps every old image in the split it had.
#include <cstdint>
#include <string>
#include <string_view>

namespace samlabel::io {

enum class DatasetSplit { Train = 1, Val, Test };

// Folder name used by the YOLO layout and the reports ("train", "val", "test").
const char* dataset_split_name(DatasetSplit split);

struct SplitFractions {
    double train = 0.8;
    double val = 0.2;
    double test = 0.0;
};

// Parses "0.8,0.2" or "0.8,0.1,0.1": two or three non-negative numbers with a
// positive sum (normalised to 1). Throws std::invalid_argument naming the text.
SplitFractions parse_split_fractions(std::string_view text);

// FNV-1a 64 of the seed's 8 little-endian bytes followed by the UTF-8 path,
// mapped to [0, 1) by its top 53 bits. Stable across platforms and versions.
double split_hash_unit(std::string_view relative_path_utf8, std::uint64_t seed);

// Train if u < train, val if u < train + val, else test (fractions normalised).
DatasetSplit assign_dataset_split(std::string_view relative_path_utf8, const SplitFractions& fractions,
                                  std::uint64_t seed);

}  // namespace samlabel::io
