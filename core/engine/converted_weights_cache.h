#pragma once
// Weights converted once, mapped ever after. A bf16 (or fp16) load on the CPU
// from an fp32 checkpoint converts every tensor, which costs time and puts the
// whole model in anonymous memory (which must go to swap under pressure). The
// converted tensors are written here once, as a standard safetensors file, and
// every later load maps that file instead: no conversion, and file-backed pages
// the OS can drop and read again.
//
// One entry per (source checkpoint, target dtype): a safetensors file whose
// metadata records the source's identity (files, sizes, modification times,
// config) and a checksum of the data. An entry that does not match its source,
// is truncated or fails its checksum is deleted and rebuilt, never used. Entries
// are written through a temporary file and a rename (a crash leaves no half
// entry), and the oldest go first beyond the byte budget. No torch here.
#include "core/engine/checkpoint.h"
#include "core/engine/engine_types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace samlabel::engine {

struct ConvertedWeightsSettings {
    std::filesystem::path dir;                 // empty: no cache (every load converts)
    std::uint64_t budget_bytes = 8ull << 30;   // all entries together
};

// The user's cache location for converted weights: $SAMLABEL_CACHE or
// $XDG_CACHE_HOME/samlabel or ~/.cache/samlabel (%LOCALAPPDATA%\samlabel on
// Windows), then converted-weights. Empty when none of them is set.
std::filesystem::path default_converted_weights_dir();

// Which converted set an entry holds: the source checkpoint and the target dtype.
struct ConvertedWeightsKey {
    std::string hex;          // file name stem
    nlohmann::json identity;  // what it was made from (stored in the entry, compared on use)
};

class ConvertedWeightsCache {
public:
    explicit ConvertedWeightsCache(ConvertedWeightsSettings settings = {});

    void set_settings(ConvertedWeightsSettings settings);
    ConvertedWeightsSettings settings() const;
    bool enabled() const;

    static ConvertedWeightsKey key_for(const Checkpoint& source, WeightDType target);
    std::filesystem::path path_for(const ConvertedWeightsKey& key) const;

    // The entry for `key`, its identity and data checksum verified, opened for
    // mapping; nullptr when there is none. A damaged or stale entry is deleted
    // and nullptr returned, with `*note` saying what was wrong.
    std::unique_ptr<Checkpoint> open_verified(const ConvertedWeightsKey& key, std::string* note) const;

    struct TensorBytes {
        std::string name;
        TensorDType dtype = TensorDType::BF16;
        std::vector<std::int64_t> shape;
        const std::byte* data = nullptr;
        std::uint64_t bytes = 0;
    };
    // Writes (or replaces) the entry atomically, then deletes the oldest other
    // entries beyond the budget. False, with `*note`, when the entry alone is
    // larger than the budget or the disk refuses; the cache is an optimisation,
    // so this never throws for I/O.
    bool write(const ConvertedWeightsKey& key, const std::vector<TensorBytes>& tensors, std::string* note) const;

    std::uint64_t disk_bytes() const;  // all entries
    std::size_t entries() const;
    std::uint64_t clear();             // deletes every entry; the bytes freed

    // The checksum stored with an entry: a 64-bit hash of the data section, read
    // through ordinary file reads (not the map) so checking it does not grow the
    // process's resident set. Not cryptographic: it catches damage, not tampering.
    static std::string data_checksum(const std::filesystem::path& file, std::uint64_t data_offset);

private:
    mutable std::mutex mutex_;
    ConvertedWeightsSettings settings_;
};

}  // namespace samlabel::engine
