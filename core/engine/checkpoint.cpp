#include "core/engine/checkpoint.h"
#include "core/engine/utf8_path.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace samlabel::engine {

namespace {

constexpr const char* kSingleFileName = "model.safetensors";
constexpr const char* kIndexFileName = "model.safetensors.index.json";
constexpr const char* kConfigFileName = "config.json";
constexpr std::uintmax_t kMaxJsonFileBytes = 100ull * 1024 * 1024;

nlohmann::json read_json_file(const std::filesystem::path& path) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error) throw CheckpointError(path, "", "cannot read: " + error.message());
    if (size > kMaxJsonFileBytes)
        throw CheckpointError(path, "", "is " + std::to_string(size) + " bytes, more than the " +
                                            std::to_string(kMaxJsonFileBytes) + "-byte limit for a JSON file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError(path, "", "cannot open for reading");
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        throw CheckpointError(path, "", std::string("is not valid JSON: ") + e.what());
    }
}

bool is_plain_file_name(const std::string& name) {
    const std::filesystem::path p = path_from_utf8(name);
    return !name.empty() && p.filename() == p && name != "." && name != ".." &&
           name.find('/') == std::string::npos && name.find('\\') == std::string::npos;
}

}  // namespace

struct Checkpoint::Impl {
    std::filesystem::path directory;
    nlohmann::json config = nlohmann::json::object();
    sam3::Sam3CheckpointConfig sam3_config;
    std::vector<std::unique_ptr<SafetensorsFile>> files;
    std::vector<TensorRef> tensors;  // sorted by name

    void open_single(const std::filesystem::path& file);
    void open_sharded(const std::filesystem::path& index_path);
    void sort_tensors();
};

Checkpoint::Checkpoint() : impl_(std::make_unique<Impl>()) {}
Checkpoint::~Checkpoint() = default;

std::unique_ptr<Checkpoint> Checkpoint::open(const std::filesystem::path& path) {
    std::unique_ptr<Checkpoint> checkpoint(new Checkpoint());
    Impl& impl = *checkpoint->impl_;
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status))
        throw CheckpointError(path, "", "does not exist");

    if (std::filesystem::is_directory(status)) {
        impl.directory = path;
    } else {
        impl.directory = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    }
    const auto config_path = impl.directory / kConfigFileName;
    if (std::filesystem::is_regular_file(config_path)) {
        impl.config = read_json_file(config_path);
        if (!impl.config.is_object()) throw CheckpointError(config_path, "", "is not a JSON object");
    }
    nlohmann::json processor;
    try {
        processor = sam3::read_processor_json(impl.directory);  // names the file when unreadable
    } catch (const std::exception& e) {
        throw CheckpointError(impl.directory, "", e.what());
    }
    impl.sam3_config = sam3::Sam3CheckpointConfig(impl.config, processor, impl.directory);

    if (!std::filesystem::is_directory(status)) {
        if (path.extension() == ".json") {
            impl.open_sharded(path);
        } else {
            impl.open_single(path);
        }
    } else if (std::filesystem::is_regular_file(path / kIndexFileName)) {
        impl.open_sharded(path / kIndexFileName);
    } else if (std::filesystem::is_regular_file(path / kSingleFileName)) {
        impl.open_single(path / kSingleFileName);
    } else {
        throw CheckpointError(path, "", std::string("holds neither ") + kSingleFileName + " nor " + kIndexFileName +
                                            " (expected a Hugging Face model folder such as facebook/sam3)");
    }
    impl.sort_tensors();
    return checkpoint;
}

void Checkpoint::Impl::open_single(const std::filesystem::path& file) {
    files.push_back(SafetensorsFile::open(file));
    for (const TensorEntry& entry : files.back()->tensors()) tensors.push_back({files.back().get(), &entry});
}

void Checkpoint::Impl::open_sharded(const std::filesystem::path& index_path) {
    const nlohmann::json index = read_json_file(index_path);
    const auto weight_map = index.is_object() ? index.find("weight_map") : index.end();
    if (!index.is_object() || weight_map == index.end() || !weight_map->is_object())
        throw CheckpointError(index_path, "", "has no \"weight_map\" object");

    // Shards in order of first mention, and which shard each tensor belongs to.
    std::vector<std::string> shard_names;
    std::map<std::string, std::string> shard_of;
    for (auto it = weight_map->begin(); it != weight_map->end(); ++it) {
        if (!it.value().is_string()) throw CheckpointError(index_path, it.key(), "weight_map value is not a file name");
        const std::string shard = it.value().get<std::string>();
        if (!is_plain_file_name(shard))
            throw CheckpointError(index_path, it.key(), "shard \"" + shard + "\" is not a plain file name in the folder");
        if (std::find(shard_names.begin(), shard_names.end(), shard) == shard_names.end()) shard_names.push_back(shard);
        shard_of.emplace(it.key(), shard);
    }
    const auto folder = index_path.parent_path();
    for (const std::string& shard : shard_names) {
        const auto shard_path = folder / path_from_utf8(shard);
        if (!std::filesystem::is_regular_file(shard_path)) {
            const auto first = std::find_if(shard_of.begin(), shard_of.end(), [&](const auto& kv) { return kv.second == shard; });
            throw CheckpointError(shard_path, first->first,
                                  "shard named in " + path_to_utf8(index_path.filename()) + " is missing");
        }
        files.push_back(SafetensorsFile::open(shard_path));
    }

    // Every tensor in exactly one shard, and in the one the index names.
    std::map<std::string, const SafetensorsFile*> found_in;
    for (const auto& file : files) {
        const std::string shard = path_to_utf8(file->path().filename());
        for (const TensorEntry& entry : file->tensors()) {
            const auto [seen, inserted] = found_in.emplace(entry.name, file.get());
            if (!inserted)
                throw CheckpointError(file->path(), entry.name,
                                      "is stored in two shards (also in " + path_to_utf8(seen->second->path()) + ")");
            const auto listed = shard_of.find(entry.name);
            if (listed == shard_of.end())
                throw CheckpointError(file->path(), entry.name,
                                      "is in the shard but not listed in " + path_to_utf8(index_path.filename()));
            if (listed->second != shard)
                throw CheckpointError(file->path(), entry.name,
                                      path_to_utf8(index_path.filename()) + " places it in " + listed->second +
                                          ", but it is stored in " + shard);
            tensors.push_back({file.get(), &entry});
        }
    }
    for (const auto& [name, shard] : shard_of)
        if (!found_in.count(name))
            throw CheckpointError(folder / path_from_utf8(shard), name,
                                  "listed in " + path_to_utf8(index_path.filename()) + " but missing from the shard");
}

void Checkpoint::Impl::sort_tensors() {
    std::sort(tensors.begin(), tensors.end(),
              [](const TensorRef& a, const TensorRef& b) { return a.entry->name < b.entry->name; });
}

const std::filesystem::path& Checkpoint::directory() const { return impl_->directory; }
const nlohmann::json& Checkpoint::config() const { return impl_->config; }
const sam3::Sam3CheckpointConfig& Checkpoint::sam3_config() const { return impl_->sam3_config; }

std::optional<Checkpoint::TensorRef> Checkpoint::find(std::string_view name) const {
    const auto& all = impl_->tensors;
    const auto it = std::lower_bound(all.begin(), all.end(), name,
                                     [](const TensorRef& ref, std::string_view key) { return ref.entry->name < key; });
    if (it == all.end() || it->entry->name != name) return std::nullopt;
    return *it;
}

std::vector<Checkpoint::TensorRef> Checkpoint::tensors() const { return impl_->tensors; }

std::vector<std::filesystem::path> Checkpoint::files() const {
    std::vector<std::filesystem::path> paths;
    for (const auto& file : impl_->files) paths.push_back(file->path());
    return paths;
}

std::uint64_t Checkpoint::tensor_bytes() const {
    std::uint64_t total = 0;
    for (const TensorRef& ref : impl_->tensors) total += ref.entry->byte_size();
    return total;
}

}  // namespace samlabel::engine
