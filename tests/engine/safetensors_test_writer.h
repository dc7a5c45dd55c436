#pragma once
// Test helper (no torch, no Qt): writes safetensors files byte by byte, so
// tests can produce valid files and every kind of corrupt one.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace samlabel::test {

// Writes 8-byte little-endian length + header text + data, exactly as given
// (no padding, no checks): the caller controls every byte.
inline void write_raw_safetensors(const std::filesystem::path& path, const std::string& header_text,
                                  const std::vector<std::uint8_t>& data, std::uint64_t declared_header_bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    std::uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<std::uint8_t>(declared_header_bytes >> (8 * i));
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// Header JSON padded with spaces to a multiple of 8 bytes, as the reference
// writer does.
inline std::string padded_header(const nlohmann::json& header) {
    std::string text = header.dump();
    while (text.size() % 8) text.push_back(' ');
    return text;
}

inline void write_safetensors(const std::filesystem::path& path, const nlohmann::json& header,
                              const std::vector<std::uint8_t>& data) {
    const std::string text = padded_header(header);
    write_raw_safetensors(path, text, data, text.size());
}

// A tensor for SimpleWriter: float32 values, row-major.
struct F32Tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

// Valid file of F32 tensors laid out contiguously in the given order.
inline void write_f32_safetensors(const std::filesystem::path& path, const std::vector<F32Tensor>& tensors) {
    nlohmann::json header = nlohmann::json::object();
    header["__metadata__"] = {{"format", "pt"}};
    std::vector<std::uint8_t> data;
    for (const F32Tensor& t : tensors) {
        const std::uint64_t begin = data.size();
        data.resize(begin + t.values.size() * 4);
        std::memcpy(data.data() + begin, t.values.data(), t.values.size() * 4);  // little-endian host
        header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
    }
    write_safetensors(path, header, data);
}

}  // namespace samlabel::test
