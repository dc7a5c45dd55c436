#pragma once
// A Hugging Face model folder opened for streaming: config.json plus either
// model.safetensors or a sharded model.safetensors.index.json with its shards.
// A path to a single .safetensors file is accepted too (config.json beside it
// is read when present). Every file is validated on open; no tensor bytes are
// read until a loader asks for them. No torch here.
#include "core/engine/safetensors_file.h"
#include "core/engine/sam3/sam3_checkpoint_config.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace samlabel::engine {

class Checkpoint {
public:
    struct TensorRef {
        const SafetensorsFile* file = nullptr;
        const TensorEntry* entry = nullptr;
    };

    // Throws CheckpointError naming the file (and tensor) at fault: no
    // checkpoint in the folder, unreadable config.json, an index naming a
    // missing shard, a tensor the index places in a shard that lacks it, a
    // tensor stored in two shards or missing from the index, an unreadable
    // processor config. (A config.json the SAM3 paths cannot run is reported
    // when a path's config is asked for: sam3_config().)
    static std::unique_ptr<Checkpoint> open(const std::filesystem::path& path);
    ~Checkpoint();
    Checkpoint(const Checkpoint&) = delete;
    Checkpoint& operator=(const Checkpoint&) = delete;

    const std::filesystem::path& directory() const;
    const nlohmann::json& config() const;  // config.json; an empty object when there is none
    // config.json (+ the processor config) parsed once for every reader: the
    // model's modules and the memory estimate's geometry come from it.
    const sam3::Sam3CheckpointConfig& sam3_config() const;

    std::optional<TensorRef> find(std::string_view name) const;
    std::vector<TensorRef> tensors() const;              // every tensor, sorted by name
    std::vector<std::filesystem::path> files() const;    // the safetensors files, in index order

    std::uint64_t tensor_bytes() const;  // sum of all tensors' stored bytes

private:
    Checkpoint();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace samlabel::engine
