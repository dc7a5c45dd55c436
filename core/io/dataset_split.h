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

// 64-bit FNV-1a (offset basis 14695981039346656037, prime 1099511628211) of
// `bytes`, continuing from `hash` so a hash can be fed in pieces.
inline constexpr std::uint64_t kFnv1a64OffsetBasis = 14695981039346656037ULL;
std::uint64_t fnv1a_64(std::string_view bytes, std::uint64_t hash = kFnv1a64OffsetBasis);

// FNV-1a 64 of the seed's 8 little-endian bytes followed by the UTF-8 path,
// mapped to [0, 1) by its top 53 bits. Stable across platforms and versions
// since samlabel 0.1 with this fix: exports made before it used a wrong offset
// basis (1469598103934665603, a digit short) and so split differently.
double split_hash_unit(std::string_view relative_path_utf8, std::uint64_t seed);

// Train if u < train, val if u < train + val, else test (fractions normalised).
DatasetSplit assign_dataset_split(std::string_view relative_path_utf8, const SplitFractions& fractions,
                                  std::uint64_t seed);

}  // namespace samlabel::io
