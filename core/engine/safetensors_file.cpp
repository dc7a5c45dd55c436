#include "core/engine/safetensors_file.h"
#include "core/engine/utf8_path.h"

#include "core/engine/mapped_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <sstream>

namespace samlabel::engine {

namespace {

struct DTypeInfo {
    TensorDType dtype;
    std::string_view name;
    std::size_t size_bytes;
};

// Names as the safetensors format spells them.
constexpr std::array<DTypeInfo, 12> kDTypes{{
    {TensorDType::F64, "F64", 8},
    {TensorDType::F32, "F32", 4},
    {TensorDType::F16, "F16", 2},
    {TensorDType::BF16, "BF16", 2},
    {TensorDType::I64, "I64", 8},
    {TensorDType::I32, "I32", 4},
    {TensorDType::I16, "I16", 2},
    {TensorDType::I8, "I8", 1},
    {TensorDType::U8, "U8", 1},
    {TensorDType::Bool, "BOOL", 1},
    {TensorDType::F8_E4M3, "F8_E4M3", 1},
    {TensorDType::F8_E5M2, "F8_E5M2", 1},
}};

const DTypeInfo& info_of(TensorDType dtype) {
    for (const DTypeInfo& info : kDTypes)
        if (info.dtype == dtype) return info;
    throw std::invalid_argument("unknown TensorDType");
}

std::string what_text(const std::filesystem::path& file, const std::string& tensor, const std::string& problem) {
    std::string text = path_to_utf8(file) + ": ";
    if (!tensor.empty()) text += "tensor '" + tensor + "': ";
    return text + problem;
}

// product(shape) * element size, or nullopt on overflow.
std::optional<std::uint64_t> checked_byte_size(const std::vector<std::int64_t>& shape, std::size_t element_bytes) {
    std::uint64_t total = element_bytes;
    for (const std::int64_t dim : shape) {
        const auto d = static_cast<std::uint64_t>(dim);
        if (d != 0 && total > UINT64_MAX / d) return std::nullopt;
        total *= d;
    }
    return total;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
    out << ']';
    return out.str();
}

}  // namespace

std::optional<TensorDType> parse_tensor_dtype(std::string_view name) {
    for (const DTypeInfo& info : kDTypes)
        if (info.name == name) return info.dtype;
    return std::nullopt;
}

std::string_view tensor_dtype_name(TensorDType dtype) { return info_of(dtype).name; }

std::size_t tensor_dtype_size(TensorDType dtype) { return info_of(dtype).size_bytes; }

CheckpointError::CheckpointError(std::filesystem::path file, std::string tensor, const std::string& problem)
    : std::runtime_error(what_text(file, tensor, problem)), file_(std::move(file)), tensor_(std::move(tensor)) {}

std::uint64_t TensorEntry::element_count() const {
    std::uint64_t count = 1;
    for (const std::int64_t dim : shape) count *= static_cast<std::uint64_t>(dim);
    return count;
}

struct SafetensorsFile::Impl {
    std::filesystem::path path;
    std::shared_ptr<MappedFile> map;  // shared with zero-copy weight tensors (mapping())
    std::uint64_t data_offset = 0;  // 8 + header length
    std::map<std::string, std::string> metadata;
    std::vector<TensorEntry> tensors;  // sorted by name

    const std::byte* data_section() const { return map->data() + data_offset; }
    std::uint64_t data_bytes() const { return map->size() - data_offset; }

    void parse_header();
    TensorEntry parse_entry(const std::string& name, const nlohmann::json& value) const;
    void check_overlaps() const;
};

SafetensorsFile::SafetensorsFile() : impl_(std::make_unique<Impl>()) {}
SafetensorsFile::~SafetensorsFile() = default;

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
    file->impl_->path = path;
    file->impl_->map = std::make_shared<MappedFile>(path);
    file->impl_->parse_header();
    return file;
}

void SafetensorsFile::Impl::parse_header() {
    const std::uint64_t file_bytes = map->size();
    if (file_bytes < 8)
        throw CheckpointError(path, "", "file is " + std::to_string(file_bytes) +
                                            " bytes, shorter than the 8-byte header length; not a safetensors file");
    std::uint64_t header_bytes = 0;
    const std::byte* base = map->data();
    for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | static_cast<std::uint8_t>(base[i]);  // little endian
    if (header_bytes > file_bytes - 8)
        throw CheckpointError(path, "", "header length " + std::to_string(header_bytes) + " bytes reaches beyond the end of the " +
                                            std::to_string(file_bytes) + "-byte file (truncated or not a safetensors file)");
    if (header_bytes > kMaxHeaderBytes)
        throw CheckpointError(path, "", "header length " + std::to_string(header_bytes) + " bytes exceeds the " +
                                            std::to_string(kMaxHeaderBytes) + "-byte limit");
    data_offset = 8 + header_bytes;

    const char* text = reinterpret_cast<const char*>(base + 8);
    // Duplicate top-level keys are silently merged by JSON parsers; a
    // checkpoint naming one tensor twice is corrupt, so catch it while parsing.
    std::string duplicate;
    std::set<std::string> seen;
    nlohmann::json::parser_callback_t watch_keys = [&](int depth, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string()) {
            const auto& key = parsed.get_ref<const std::string&>();
            if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
        }
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text, text + header_bytes, watch_keys);
    } catch (const nlohmann::json::exception& e) {
        throw CheckpointError(path, "", std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) throw CheckpointError(path, "", "header is not a JSON object");
    if (!duplicate.empty()) throw CheckpointError(path, duplicate, "named twice in the header");

    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object()) throw CheckpointError(path, "", "__metadata__ is not a JSON object");
            for (auto m = it.value().begin(); m != it.value().end(); ++m) {
                if (!m.value().is_string())
                    throw CheckpointError(path, "", "__metadata__ entry '" + m.key() + "' is not a string");
                metadata.emplace(m.key(), m.value().get<std::string>());
            }
            continue;
        }
        tensors.push_back(parse_entry(it.key(), it.value()));
    }
    std::sort(tensors.begin(), tensors.end(), [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
    check_overlaps();
}

TensorEntry SafetensorsFile::Impl::parse_entry(const std::string& name, const nlohmann::json& value) const {
    if (name.empty()) throw CheckpointError(path, "", "a tensor has an empty name");
    if (!value.is_object()) throw CheckpointError(path, name, "header entry is not a JSON object");
    TensorEntry entry;
    entry.name = name;

    const auto dtype = value.find("dtype");
    if (dtype == value.end() || !dtype->is_string()) throw CheckpointError(path, name, "has no \"dtype\" string");
    const auto parsed = parse_tensor_dtype(dtype->get<std::string>());
    if (!parsed) throw CheckpointError(path, name, "unknown dtype \"" + dtype->get<std::string>() + "\"");
    entry.dtype = *parsed;

    const auto shape = value.find("shape");
    if (shape == value.end() || !shape->is_array()) throw CheckpointError(path, name, "has no \"shape\" array");
    for (const auto& dim : *shape) {
        if (!dim.is_number_unsigned() || dim.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
            throw CheckpointError(path, name, "shape " + shape->dump() + " has a dimension that is not a non-negative integer");
        entry.shape.push_back(static_cast<std::int64_t>(dim.get<std::uint64_t>()));
    }

    const auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
        throw CheckpointError(path, name, "\"data_offsets\" is not a pair of non-negative integers");
    entry.data_begin = (*offsets)[0].get<std::uint64_t>();
    entry.data_end = (*offsets)[1].get<std::uint64_t>();
    if (entry.data_end < entry.data_begin)
        throw CheckpointError(path, name, "data_offsets [" + std::to_string(entry.data_begin) + ", " +
                                              std::to_string(entry.data_end) + "] end before they begin");
    if (entry.data_end > data_bytes())
        throw CheckpointError(path, name, "data_offsets [" + std::to_string(entry.data_begin) + ", " +
                                              std::to_string(entry.data_end) + "] reach outside the " +
                                              std::to_string(data_bytes()) + "-byte data section");
    const auto expected = checked_byte_size(entry.shape, tensor_dtype_size(entry.dtype));
    if (!expected)
        throw CheckpointError(path, name, "shape " + shape_text(entry.shape) + " is too large to address");
    if (*expected != entry.byte_size())
        throw CheckpointError(path, name, "holds " + std::to_string(entry.byte_size()) + " bytes but shape " +
                                              shape_text(entry.shape) + " of " + std::string(tensor_dtype_name(entry.dtype)) +
                                              " needs " + std::to_string(*expected));
    return entry;
}

void SafetensorsFile::Impl::check_overlaps() const {
    std::vector<const TensorEntry*> by_offset;
    for (const TensorEntry& entry : tensors)
        if (entry.byte_size() > 0) by_offset.push_back(&entry);  // empty ranges overlap nothing
    std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) {
        return a->data_begin != b->data_begin ? a->data_begin < b->data_begin : a->name < b->name;
    });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
        const TensorEntry& previous = *by_offset[i - 1];
        const TensorEntry& current = *by_offset[i];
        if (current.data_begin < previous.data_end)
            throw CheckpointError(path, current.name, "bytes [" + std::to_string(current.data_begin) + ", " +
                                                          std::to_string(current.data_end) + ") overlap tensor '" +
                                                          previous.name + "' at [" + std::to_string(previous.data_begin) +
                                                          ", " + std::to_string(previous.data_end) + ")");
    }
}

const std::filesystem::path& SafetensorsFile::path() const { return impl_->path; }
std::uint64_t SafetensorsFile::file_size() const { return impl_->map->size(); }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return impl_->metadata; }
const std::vector<TensorEntry>& SafetensorsFile::tensors() const { return impl_->tensors; }
std::uint64_t SafetensorsFile::data_section_offset() const { return impl_->data_offset; }

std::shared_ptr<const MappedFile> SafetensorsFile::mapping() const { return impl_->map; }

const TensorEntry* SafetensorsFile::find(std::string_view name) const {
    const auto& all = impl_->tensors;
    const auto it = std::lower_bound(all.begin(), all.end(), name,
                                     [](const TensorEntry& entry, std::string_view key) { return entry.name < key; });
    return it != all.end() && it->name == name ? &*it : nullptr;
}

std::span<const std::byte> SafetensorsFile::bytes(const TensorEntry& entry) const {
    return {impl_->data_section() + entry.data_begin, static_cast<std::size_t>(entry.byte_size())};
}

void SafetensorsFile::release(const TensorEntry& entry) const { release(entry, 0, entry.byte_size()); }

void SafetensorsFile::release(const TensorEntry& entry, std::uint64_t offset, std::uint64_t length) const {
    if (offset >= entry.byte_size()) return;
    length = std::min(length, entry.byte_size() - offset);
    impl_->map->release(impl_->data_offset + entry.data_begin + offset, length);
}

void SafetensorsFile::prefetch(const TensorEntry& entry) const {
    impl_->map->will_need(impl_->data_offset + entry.data_begin, entry.byte_size());
}

void SafetensorsFile::map_in(const TensorEntry& entry) const {
    impl_->map->map_in(impl_->data_offset + entry.data_begin, entry.byte_size());
}

}  // namespace samlabel::engine
