#pragma once
// A safetensors file opened through a read-only memory map, validated before
// any tensor is used. No torch here: tensors are byte ranges in the map.
//
// Format: 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {...}}, then the data section (offsets relative to it).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::engine {

class MappedFile;  // core/engine/mapped_file.h

enum class TensorDType { F64 = 1, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F8_E4M3, F8_E5M2 };

// "F32" -> F32 etc.; nullopt for names this reader does not know.
std::optional<TensorDType> parse_tensor_dtype(std::string_view name);
std::string_view tensor_dtype_name(TensorDType dtype);
std::size_t tensor_dtype_size(TensorDType dtype);

// A failure that names the file and, where there is one, the tensor.
class CheckpointError : public std::runtime_error {
public:
    CheckpointError(std::filesystem::path file, std::string tensor, const std::string& problem);
    const std::filesystem::path& file() const { return file_; }
    const std::string& tensor() const { return tensor_; }  // empty when not about one tensor
private:
    std::filesystem::path file_;
    std::string tensor_;
};

struct TensorEntry {
    std::string name;
    TensorDType dtype = TensorDType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t data_begin = 0;  // offset in the data section
    std::uint64_t data_end = 0;
    std::uint64_t byte_size() const { return data_end - data_begin; }
    std::uint64_t element_count() const;
};

class SafetensorsFile {
public:
    // Maps the file and validates the header (length within the file, JSON well
    // formed, known dtypes, ranges inside the data section, non-overlapping,
    // size == product(shape) * dtype size). Throws CheckpointError.
    static std::unique_ptr<SafetensorsFile> open(const std::filesystem::path& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::filesystem::path& path() const;
    std::uint64_t file_size() const;
    const std::map<std::string, std::string>& metadata() const;
    const std::vector<TensorEntry>& tensors() const;  // sorted by name
    const TensorEntry* find(std::string_view name) const;

    // The tensor's bytes inside the map (pages are read lazily by the OS).
    std::span<const std::byte> bytes(const TensorEntry& entry) const;

    // Tells the OS these pages are no longer needed, so they leave this
    // process's resident set after upload (madvise DONTNEED / VirtualUnlock +
    // OfferVirtualMemory / DiscardVirtualMemory on Windows).
    void release(const TensorEntry& entry) const;
    // The same for bytes [offset, offset + length) of the tensor, so a large
    // tensor copied in slices can give back each slice's pages as it goes.
    void release(const TensorEntry& entry, std::uint64_t offset, std::uint64_t length) const;
    // Hints that the tensor's bytes will be read soon (readahead).
    void prefetch(const TensorEntry& entry) const;
    // Maps the tensor's pages into this process now (MappedFile::map_in), for
    // a tensor used in place as a weight.
    void map_in(const TensorEntry& entry) const;

    // Where the data section starts in the file (8 + header length).
    std::uint64_t data_section_offset() const;

    // The mapping itself, shared: a tensor that uses the mapped bytes directly
    // (zero-copy weights) holds it, so the file stays mapped until the last
    // such tensor is gone, even after this object and its checkpoint are.
    std::shared_ptr<const MappedFile> mapping() const;

    // Headers larger than this are refused before parsing (a corrupt length
    // must not make the reader allocate gigabytes).
    static constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

private:
    SafetensorsFile();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace samlabel::engine
