#pragma once
// Image embeddings kept for re-use, so going back to an image is instant.
// In memory: least-recently-used entries are evicted once the byte budget is
// exceeded. On disk (optional): the predictor's fp16 serialisation, one file a
// key, with its own byte budget (oldest files go first). No torch here: the
// cache only sees the opaque ImageEmbedding.
//
// Thread-safe (one mutex): the model worker fills it, the GUI reads its stats.
#include "core/engine/sam3_predictor.h"

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace samlabel::engine {

struct EmbeddingCacheSettings {
    std::uint64_t memory_budget_bytes = 2ull << 30;  // 2 GiB
    std::filesystem::path disk_dir;                  // empty: no disk cache
    std::uint64_t disk_budget_bytes = 8ull << 30;    // 8 GiB
};

struct EmbeddingCacheStats {
    std::size_t memory_entries = 0;
    std::uint64_t memory_bytes = 0;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
};

class EmbeddingCache {
public:
    explicit EmbeddingCache(EmbeddingCacheSettings settings = {});

    const EmbeddingCacheSettings& settings() const { return settings_; }
    // Shrinking the memory budget evicts at once.
    void set_memory_budget_bytes(std::uint64_t bytes);
    void set_disk(std::filesystem::path dir, std::uint64_t budget_bytes);

    // The entry, marked most recently used; nullptr when absent.
    std::shared_ptr<const ImageEmbedding> find(const std::string& key);
    bool contains(const std::string& key) const;
    // The entry without touching its LRU place or the hit counters; nullptr when absent.
    std::shared_ptr<const ImageEmbedding> peek(const std::string& key) const;

    // Inserts (or replaces) and evicts least-recently-used entries until the
    // total fits the budget. An embedding larger than the whole budget is not
    // kept (the caller still holds it).
    void insert(const std::string& key, std::shared_ptr<const ImageEmbedding> embedding);

    // Drops every in-memory entry; returns the bytes dropped. The disk cache
    // stays (it is the point of having one).
    std::uint64_t clear_memory();

    EmbeddingCacheStats stats() const;
    std::vector<std::string> keys_most_recent_first() const;

    // Disk cache. write_to_disk writes through a temporary file and a rename so a
    // crash never leaves a truncated entry under the real name; it then deletes
    // the oldest files beyond the disk budget. read_from_disk returns nullopt for
    // a missing entry or one whose header does not match the key (such a file is
    // deleted). Both do nothing without a disk dir. Disk errors never throw: the
    // cache is an optimisation.
    bool disk_enabled() const;
    void write_to_disk(const std::string& key, const ImageEmbedding& embedding);
    std::optional<std::vector<std::uint8_t>> read_from_disk(const std::string& key);
    std::filesystem::path disk_path_for(const std::string& key) const;

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const ImageEmbedding> embedding;
        std::uint64_t bytes = 0;
    };
    void evict_to_budget_locked();
    void trim_disk_locked();

    EmbeddingCacheSettings settings_;
    mutable std::mutex mutex_;
    std::list<Entry> lru_;  // front = most recently used
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    std::uint64_t bytes_ = 0;
    std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

// A 128-bit content hash (hex, 32 chars) of raw bytes: keys for images that
// have no file (pasted, generated). Not cryptographic; collisions between two
// different images are astronomically unlikely, which is all a cache needs.
std::string content_hash_hex(const std::uint8_t* data, std::size_t size);
std::string image_content_key(const ImageRgb8& image);

}  // namespace samlabel::engine
