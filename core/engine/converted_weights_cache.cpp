#include "core/engine/converted_weights_cache.h"
#include "core/engine/utf8_path.h"

#include "core/engine/embedding_cache.h"
#include "core/engine/memory_budget.h"
#include "core/engine/sam3_parts.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace samlabel::engine {
namespace {

namespace fs = std::filesystem;

constexpr int kFormatVersion = 1;
constexpr const char* kExtension = ".safetensors";
constexpr const char* kIdentityKey = "samlabel.converted_from";
constexpr const char* kChecksumKey = "samlabel.data_checksum";

// A 64-bit hash over a byte stream, fed in any chunks: four independent lanes
// over consecutive 8-byte little-endian words (so it runs at memory speed),
// folded with a final avalanche. Catches damage, not tampering.
class StreamHash {
public:
    void update(const std::byte* data, std::size_t size) {
        while (size > 0) {
            const std::size_t take = std::min<std::size_t>(8 - pending_bytes_, size);
            std::memcpy(reinterpret_cast<std::byte*>(&pending_) + pending_bytes_, data, take);
            pending_bytes_ += take;
            data += take;
            size -= take;
            total_ += take;
            if (pending_bytes_ == 8) {
                mix(pending_);
                pending_ = 0;
                pending_bytes_ = 0;
            }
            // Whole words straight from the buffer.
            while (pending_bytes_ == 0 && size >= 8) {
                std::uint64_t word;
                std::memcpy(&word, data, 8);
                mix(word);
                data += 8;
                size -= 8;
                total_ += 8;
            }
        }
    }
    std::string hex() const {
        std::uint64_t h = total_;
        for (std::uint64_t lane : lanes_) h = (h ^ avalanche(lane)) * 0x9E3779B97F4A7C15ULL;
        if (pending_bytes_) h = (h ^ avalanche(pending_ ^ 0xA5A5A5A5A5A5A5A5ULL)) * 0x9E3779B97F4A7C15ULL;
        char text[17];
        std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(avalanche(h)));
        return text;
    }

private:
    static std::uint64_t avalanche(std::uint64_t x) {  // MurmurHash3's finaliser
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        return x ^ (x >> 33);
    }
    void mix(std::uint64_t word) {
        std::uint64_t& lane = lanes_[word_index_++ & 3];
        lane ^= word * 0x87c37b91114253d5ULL;
        lane = ((lane << 31) | (lane >> 33)) * 0x4cf5ad432745937fULL;
    }
    std::array<std::uint64_t, 4> lanes_{0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL, 0x082EFA98EC4E6C89ULL};
    std::uint64_t word_index_ = 0, pending_ = 0, total_ = 0;
    std::size_t pending_bytes_ = 0;
};

std::vector<fs::path> entry_files(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file(ec) && e.path().extension() == kExtension) out.push_back(e.path());
    return out;
}

void remove_quietly(const fs::path& path) {
    std::error_code ec;
    fs::remove(path, ec);
}

}  // namespace

fs::path default_converted_weights_dir() {
    auto env = [](const char* name) -> fs::path {
#ifdef _WIN32
        // The wide environment: LOCALAPPDATA holds the user's name, often outside the ANSI code page.
        const std::wstring wide(name, name + std::char_traits<char>::length(name));
        const wchar_t* v = _wgetenv(wide.c_str());
        return v && *v ? fs::path(v) : fs::path();
#else
        const char* v = std::getenv(name);
        return v && *v ? path_from_utf8(v) : fs::path();
#endif
    };
    fs::path base = env("SAMLABEL_CACHE");
    if (base.empty() && !env("XDG_CACHE_HOME").empty()) base = env("XDG_CACHE_HOME") / "samlabel";
    if (base.empty() && !env("LOCALAPPDATA").empty()) base = env("LOCALAPPDATA") / "samlabel";
    if (base.empty() && !env("HOME").empty()) base = env("HOME") / ".cache" / "samlabel";
    return base.empty() ? base : base / "converted-weights";
}

ConvertedWeightsCache::ConvertedWeightsCache(ConvertedWeightsSettings settings) : settings_(std::move(settings)) {}

void ConvertedWeightsCache::set_settings(ConvertedWeightsSettings settings) {
    std::lock_guard lock(mutex_);
    settings_ = std::move(settings);
}

ConvertedWeightsSettings ConvertedWeightsCache::settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
}

bool ConvertedWeightsCache::enabled() const { return !settings().dir.empty(); }

ConvertedWeightsKey ConvertedWeightsCache::key_for(const Checkpoint& source, WeightDType target) {
    nlohmann::json identity;
    std::error_code ec;
    identity["format"] = kFormatVersion;
    identity["directory"] = path_to_utf8(fs::weakly_canonical(source.directory(), ec));
    identity["dtype"] = std::string(weight_dtype_name(target));
    const std::string config = source.config().dump();
    identity["config"] = content_hash_hex(reinterpret_cast<const std::uint8_t*>(config.data()), config.size());
    for (const fs::path& file : source.files()) {
        const auto time = fs::last_write_time(file, ec).time_since_epoch().count();
        identity["files"].push_back({{"name", path_to_utf8(file.filename())}, {"size", fs::file_size(file, ec)}, {"modified", time}});
    }
    const std::string text = identity.dump();
    return {content_hash_hex(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), identity};
}

fs::path ConvertedWeightsCache::path_for(const ConvertedWeightsKey& key) const {
    return settings().dir / (key.hex + kExtension);
}

std::string ConvertedWeightsCache::data_checksum(const fs::path& file, std::uint64_t data_offset) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(path_to_utf8(file) + ": cannot be read");
    in.seekg(static_cast<std::streamoff>(data_offset));
    StreamHash hash;
    std::vector<std::byte> buffer(8u << 20);
    while (in) {
        in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) break;
        hash.update(buffer.data(), got);
    }
    return hash.hex();
}

std::unique_ptr<Checkpoint> ConvertedWeightsCache::open_verified(const ConvertedWeightsKey& key, std::string* note) const {
    if (!enabled()) return nullptr;
    const fs::path path = path_for(key);
    std::error_code ec;
    if (!fs::exists(path, ec)) return nullptr;
    auto reject = [&](const std::string& why) -> std::unique_ptr<Checkpoint> {
        if (note) *note = "converted-weights cache entry " + path_to_utf8(path) + " " + why + ": converting again";
        remove_quietly(path);
        return nullptr;
    };
    std::unique_ptr<Checkpoint> entry;
    try {
        entry = Checkpoint::open(path);
    } catch (const std::exception& e) {
        return reject(std::string("is damaged (") + e.what() + ")");
    }
    const auto tensors = entry->tensors();
    if (tensors.empty()) return reject("holds no tensors");
    const SafetensorsFile& file = *tensors.front().file;
    const auto& metadata = file.metadata();
    const auto identity = metadata.find(kIdentityKey);
    const auto checksum = metadata.find(kChecksumKey);
    if (identity == metadata.end() || checksum == metadata.end()) return reject("has no samlabel metadata");
    if (identity->second != key.identity.dump()) return reject("was made from another version of the checkpoint");
    std::string actual;
    try {
        actual = data_checksum(path, file.data_section_offset());
    } catch (const std::exception& e) {
        return reject(std::string("cannot be read (") + e.what() + ")");
    }
    if (actual != checksum->second) return reject("is damaged (its data does not match its checksum)");
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // most recently used
    return entry;
}

bool ConvertedWeightsCache::write(const ConvertedWeightsKey& key, const std::vector<TensorBytes>& tensors, std::string* note) const {
    const ConvertedWeightsSettings s = settings();
    if (s.dir.empty()) return false;
    auto fail = [&](const std::string& why) {
        if (note) *note = "converted weights not cached: " + why;
        return false;
    };
    std::vector<const TensorBytes*> sorted;
    std::uint64_t data_bytes = 0;
    for (const TensorBytes& t : tensors) {
        sorted.push_back(&t);
        data_bytes += t.bytes;
    }
    if (data_bytes > s.budget_bytes)
        return fail(format_bytes(data_bytes) + " is more than the cache's budget of " + format_bytes(s.budget_bytes));
    std::sort(sorted.begin(), sorted.end(), [](const TensorBytes* a, const TensorBytes* b) { return a->name < b->name; });

    // Header: the tensors back to back in name order (the format allows no holes).
    StreamHash hash;
    for (const TensorBytes* t : sorted) hash.update(t->data, t->bytes);
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}, {kIdentityKey, key.identity.dump()}, {kChecksumKey, hash.hex()}};
    std::uint64_t offset = 0;
    for (const TensorBytes* t : sorted) {
        header[t->name] = {{"dtype", std::string(tensor_dtype_name(t->dtype))}, {"shape", t->shape}, {"data_offsets", {offset, offset + t->bytes}}};
        offset += t->bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned, as the reference writer pads

    std::error_code ec;
    fs::create_directories(s.dir, ec);
    const fs::path final_path = path_for(key);
    fs::path temporary = final_path;
    temporary += ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) return fail("cannot create " + path_to_utf8(temporary));
        const std::uint64_t header_size = text.size();
        out.write(reinterpret_cast<const char*>(&header_size), 8);  // little-endian on every platform samlabel runs on
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const TensorBytes* t : sorted) out.write(reinterpret_cast<const char*>(t->data), static_cast<std::streamsize>(t->bytes));
        out.flush();
        if (!out) {
            out.close();
            remove_quietly(temporary);
            return fail("writing " + path_to_utf8(temporary) + " failed (disk full?)");
        }
    }
    fs::rename(temporary, final_path, ec);
    if (ec) {
        remove_quietly(temporary);
        return fail("cannot rename to " + path_to_utf8(final_path) + ": " + ec.message());
    }
    // Oldest entries go first beyond the budget; the new one stays.
    std::vector<fs::path> files = entry_files(s.dir);
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
        std::error_code e;
        return fs::last_write_time(a, e) < fs::last_write_time(b, e);
    });
    std::uint64_t total = 0;
    for (const fs::path& f : files) total += fs::file_size(f, ec);
    for (const fs::path& f : files) {
        if (total <= s.budget_bytes) break;
        if (f == final_path) continue;
        total -= fs::file_size(f, ec);
        remove_quietly(f);
    }
    return true;
}

std::uint64_t ConvertedWeightsCache::disk_bytes() const {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const fs::path& f : entry_files(settings().dir)) total += fs::file_size(f, ec);
    return total;
}

std::size_t ConvertedWeightsCache::entries() const { return entry_files(settings().dir).size(); }

std::uint64_t ConvertedWeightsCache::clear() {
    std::uint64_t freed = 0;
    std::error_code ec;
    for (const fs::path& f : entry_files(settings().dir)) {
        freed += fs::file_size(f, ec);
        remove_quietly(f);
    }
    return freed;
}

}  // namespace samlabel::engine
