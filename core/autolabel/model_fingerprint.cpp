#include "core/autolabel/model_fingerprint.h"

#include "core/io/dataset_split.h"
#include "core/io/utf8_path.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>
#include <vector>

namespace samlabel::autolabel {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kBlock = 64 * 1024;
constexpr int kBlocks = 16;

std::string u8(const fs::path& p) {
    const std::u8string s = p.u8string();
    return std::string(s.begin(), s.end());
}

std::string read_range(std::ifstream& in, const fs::path& file, std::uint64_t offset, std::uint64_t size) {
    std::string bytes(size, '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uint64_t>(in.gcount()) != size) throw std::runtime_error(u8(file) + ": cannot read the checkpoint file");
    return bytes;
}

std::uint64_t hash_safetensors(const fs::path& file, std::uint64_t h) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(u8(file) + ": cannot open the checkpoint file");
    std::error_code ec;
    const std::uint64_t size = fs::file_size(file, ec);
    if (ec || size < 8) throw std::runtime_error(u8(file) + ": not a safetensors file (too short)");
    const std::string length_bytes = read_range(in, file, 0, 8);
    std::uint64_t header_length = 0;
    for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | static_cast<unsigned char>(length_bytes[std::size_t(i)]);
    if (header_length > size - 8) throw std::runtime_error(u8(file) + ": not a safetensors file (header length beyond the file)");
    h = io::fnv1a_64(io::path_to_utf8(file.filename()), h);
    h = io::fnv1a_64(std::to_string(size), h);
    h = io::fnv1a_64(read_range(in, file, 8, header_length), h);
    const std::uint64_t data_begin = 8 + header_length;
    const std::uint64_t data_size = size - data_begin;
    for (int b = 0; b < kBlocks && data_size > 0; ++b) {
        const std::uint64_t span = std::min(kBlock, data_size);
        const std::uint64_t offset = data_begin + (data_size - span) * std::uint64_t(b) / std::uint64_t(kBlocks - 1);
        h = io::fnv1a_64(read_range(in, file, offset, span), h);
    }
    return h;
}

}  // namespace

std::string checkpoint_fingerprint(const fs::path& checkpoint_dir) {
    std::error_code ec;
    std::vector<fs::path> weights;
    fs::path config;
    if (fs::is_regular_file(checkpoint_dir, ec) && checkpoint_dir.extension() == ".safetensors") {
        weights.push_back(checkpoint_dir);
        config = checkpoint_dir.parent_path() / "config.json";
    } else {
        if (!fs::is_directory(checkpoint_dir, ec)) throw std::runtime_error(u8(checkpoint_dir) + ": not a checkpoint folder");
        config = checkpoint_dir / "config.json";
        // The files the model is read from (as core/engine/checkpoint does):
        // model.safetensors, else the shards of the index, else every *.safetensors.
        const fs::path single = checkpoint_dir / "model.safetensors";
        const fs::path index = checkpoint_dir / "model.safetensors.index.json";
        if (fs::is_regular_file(single, ec)) {
            weights.push_back(single);
        } else if (fs::is_regular_file(index, ec)) {
            std::ifstream in(index, std::ios::binary);
            try {
                const nlohmann::json j = nlohmann::json::parse(in);
                std::set<std::string> shards;
                for (const auto& [tensor, shard] : j.at("weight_map").items()) shards.insert(shard.get<std::string>());
                for (const std::string& shard : shards) weights.push_back(checkpoint_dir / io::path_from_utf8(shard));
            } catch (const std::exception& e) {
                throw std::runtime_error(u8(index) + ": cannot read the shard index: " + e.what());
            }
        } else {
            for (const auto& entry : fs::directory_iterator(checkpoint_dir, ec))
                if (entry.is_regular_file() && entry.path().extension() == ".safetensors") weights.push_back(entry.path());
            if (ec) throw std::runtime_error(u8(checkpoint_dir) + ": cannot list the folder: " + ec.message());
        }
    }
    if (weights.empty()) throw std::runtime_error(u8(checkpoint_dir) + ": no *.safetensors file in the checkpoint folder");
    std::sort(weights.begin(), weights.end());
    std::uint64_t h = io::kFnv1a64OffsetBasis;
    if (fs::is_regular_file(config, ec)) {
        std::ifstream in(config, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        h = io::fnv1a_64(text, h);
    }
    for (const fs::path& file : weights) h = hash_safetensors(file, h);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace samlabel::autolabel
