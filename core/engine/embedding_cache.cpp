#include "core/engine/embedding_cache.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>

namespace samlabel::engine {

namespace {

constexpr char kDiskMagic[8] = {'S', 'L', 'E', 'M', 'B', '0', '0', '1'};

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// MurmurHash3's finaliser: every input bit affects every output bit.
std::uint64_t fmix64(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

void append_u64(std::vector<char>& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t read_u64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

}  // namespace

std::string content_hash_hex(const std::uint8_t* data, std::size_t size) {
    // Two independent 64-bit lanes over 8-byte words (MurmurHash3 x64 style
    // mixing), fast enough to key a 12-megapixel image in a few milliseconds.
    std::uint64_t h1 = 0x9e3779b97f4a7c15ULL ^ size, h2 = 0xc2b2ae3d27d4eb4fULL + size;
    const std::uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    std::size_t i = 0;
    for (; i + 16 <= size; i += 16) {
        std::uint64_t k1, k2;
        std::memcpy(&k1, data + i, 8);
        std::memcpy(&k2, data + i + 8, 8);
        k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1;
        h1 = rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
        k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2;
        h2 = rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }
    std::uint64_t tail1 = 0, tail2 = 0;
    const std::size_t rest = size - i;
    std::memcpy(&tail1, data + i, std::min<std::size_t>(rest, 8));
    if (rest > 8) std::memcpy(&tail2, data + i + 8, rest - 8);
    h1 ^= fmix64(tail1 * c1);
    h2 ^= fmix64(tail2 * c2 + rest);
    h1 += h2; h2 += h1;
    h1 = fmix64(h1); h2 = fmix64(h2);
    h1 += h2; h2 += h1;
    char hex[33];
    std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h1),
                  static_cast<unsigned long long>(h2));
    return hex;
}

std::string image_content_key(const ImageRgb8& image) {
    return "px-" + std::to_string(image.width) + "x" + std::to_string(image.height) + "-" +
           content_hash_hex(image.pixels.data(), image.pixels.size());
}

EmbeddingCache::EmbeddingCache(EmbeddingCacheSettings settings) : settings_(std::move(settings)) {}

void EmbeddingCache::set_memory_budget_bytes(std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    settings_.memory_budget_bytes = bytes;
    evict_to_budget_locked();
}

void EmbeddingCache::set_disk(std::filesystem::path dir, std::uint64_t budget_bytes) {
    std::lock_guard lock(mutex_);
    settings_.disk_dir = std::move(dir);
    settings_.disk_budget_bytes = budget_bytes;
}

std::shared_ptr<const ImageEmbedding> EmbeddingCache::find(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
        ++misses_;
        return nullptr;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->embedding;
}

bool EmbeddingCache::contains(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return index_.count(key) != 0;
}

std::shared_ptr<const ImageEmbedding> EmbeddingCache::peek(const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : it->second->embedding;
}

void EmbeddingCache::insert(const std::string& key, std::shared_ptr<const ImageEmbedding> embedding) {
    if (!embedding) return;
    std::lock_guard lock(mutex_);
    if (const auto it = index_.find(key); it != index_.end()) {
        bytes_ -= it->second->bytes;
        lru_.erase(it->second);
        index_.erase(it);
    }
    const std::uint64_t bytes = embedding->byte_size();
    if (bytes > settings_.memory_budget_bytes) return;
    lru_.push_front(Entry{key, std::move(embedding), bytes});
    index_[key] = lru_.begin();
    bytes_ += bytes;
    evict_to_budget_locked();
}

void EmbeddingCache::evict_to_budget_locked() {
    while (bytes_ > settings_.memory_budget_bytes && !lru_.empty()) {
        bytes_ -= lru_.back().bytes;
        index_.erase(lru_.back().key);
        lru_.pop_back();
        ++evictions_;
    }
}

std::uint64_t EmbeddingCache::clear_memory() {
    std::lock_guard lock(mutex_);
    const std::uint64_t dropped = bytes_;
    index_.clear();
    lru_.clear();
    bytes_ = 0;
    return dropped;
}

EmbeddingCacheStats EmbeddingCache::stats() const {
    std::lock_guard lock(mutex_);
    return EmbeddingCacheStats{lru_.size(), bytes_, hits_, misses_, evictions_};
}

std::vector<std::string> EmbeddingCache::keys_most_recent_first() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> keys;
    keys.reserve(lru_.size());
    for (const Entry& e : lru_) keys.push_back(e.key);
    return keys;
}

bool EmbeddingCache::disk_enabled() const {
    std::lock_guard lock(mutex_);
    return !settings_.disk_dir.empty();
}

std::filesystem::path EmbeddingCache::disk_path_for(const std::string& key) const {
    // Keys may hold any character (paths, model ids): the file name is a hash.
    const std::string name = content_hash_hex(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
    return settings_.disk_dir / (name + ".emb");
}

void EmbeddingCache::write_to_disk(const std::string& key, const ImageEmbedding& embedding) {
    std::lock_guard lock(mutex_);
    if (settings_.disk_dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(settings_.disk_dir, ec);
    if (ec) return;
    const std::vector<std::uint8_t> payload = embedding.serialize();
    // Layout: magic, key length, key, payload length, payload.
    std::vector<char> header(kDiskMagic, kDiskMagic + 8);
    append_u64(header, key.size());
    header.insert(header.end(), key.begin(), key.end());
    append_u64(header, payload.size());
    const std::filesystem::path final_path = disk_path_for(key);
    std::filesystem::path tmp_path = final_path;
    tmp_path += ".tmp";
    {
        std::ofstream out(tmp_path, std::ios::binary | std::ios::trunc);
        if (!out) return;
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(reinterpret_cast<const char*>(payload.data()), static_cast<std::streamsize>(payload.size()));
        if (!out.good()) {
            out.close();
            std::filesystem::remove(tmp_path, ec);
            return;
        }
    }
    std::filesystem::rename(tmp_path, final_path, ec);
    if (ec) {
        std::filesystem::remove(tmp_path, ec);
        return;
    }
    trim_disk_locked();
}

std::optional<std::vector<std::uint8_t>> EmbeddingCache::read_from_disk(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (settings_.disk_dir.empty()) return std::nullopt;
    const std::filesystem::path path = disk_path_for(key);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes(size);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) return std::nullopt;
    auto reject = [&]() -> std::optional<std::vector<std::uint8_t>> {
        in.close();
        std::filesystem::remove(path, ec);
        return std::nullopt;
    };
    if (size < 24 || std::memcmp(bytes.data(), kDiskMagic, 8) != 0) return reject();
    const std::uint64_t key_len = read_u64(bytes.data() + 8);
    if (key_len != key.size() || 16 + key_len + 8 > size) return reject();
    if (std::memcmp(bytes.data() + 16, key.data(), key.size()) != 0) return reject();
    const std::uint64_t payload_len = read_u64(bytes.data() + 16 + key_len);
    const std::uint64_t payload_at = 24 + key_len;
    if (payload_at + payload_len != size) return reject();
    // Touch the file so the disk trim keeps recently used entries.
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);
    return std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(payload_at), bytes.end());
}

void EmbeddingCache::trim_disk_locked() {
    struct File {
        std::filesystem::path path;
        std::uint64_t bytes;
        std::filesystem::file_time_type time;
    };
    std::vector<File> files;
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(settings_.disk_dir, ec)) {
        if (!entry.is_regular_file(ec) || entry.path().extension() != ".emb") continue;
        const std::uint64_t bytes = entry.file_size(ec);
        const auto time = entry.last_write_time(ec);
        files.push_back({entry.path(), bytes, time});
        total += bytes;
    }
    if (total <= settings_.disk_budget_bytes) return;
    std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.time < b.time; });
    for (const File& f : files) {
        if (total <= settings_.disk_budget_bytes) break;
        if (std::filesystem::remove(f.path, ec)) total -= f.bytes;
    }
}

}  // namespace samlabel::engine
