#pragma once
// A checkpoint's identity that does not depend on where it lies: the same
// files give the same fingerprint on every machine of a cluster, so shard
// results can be checked against each other. Reads config.json and, of each
// *.safetensors file, its size, its header (tensor names, shapes, dtypes,
// offsets) and 16 blocks of 64 KiB spread over the data: a few MB, not the
// gigabytes of weights. Two checkpoints with the same layout but other
// weights (two random draws, a fine-tune) differ in the sampled blocks.
#include <filesystem>
#include <string>

namespace samlabel::autolabel {

// 16 hex digits. Throws std::runtime_error naming the folder (or file) and the
// problem: not a folder, no *.safetensors file, unreadable file.
std::string checkpoint_fingerprint(const std::filesystem::path& checkpoint_dir);

}  // namespace samlabel::autolabel
