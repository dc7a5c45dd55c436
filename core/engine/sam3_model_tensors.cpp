#include "core/engine/sam3_model_tensors.h"

#include "core/engine/safetensors_file.h"
#include "core/engine/sam3/sam3_checkpoint_config.h"
#include "core/engine/sam3/sam3_model.h"

#include <stdexcept>

namespace samlabel::engine {

std::uint64_t ExpectedTensor::element_count() const {
    std::uint64_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);
    return n;
}

std::vector<ExpectedTensor> sam3_part_tensors(const nlohmann::json& config, PartSet parts, const nlohmann::json& processor_config) {
    const auto meta = torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta);
    // The same parsed config a checkpoint hands the model; its errors name "config.json".
    const sam3::Sam3CheckpointConfig parsed(config, processor_config, "config.json");
    std::vector<ExpectedTensor> out;
    try {
        const sam3::Sam3Model model(parsed, parts, meta, meta);
        for (const auto& [name, tensor] : model.named_tensors()) out.push_back({name, tensor.sizes().vec()});
    } catch (const CheckpointError& e) {
        throw std::invalid_argument(e.what());
    }
    return out;
}

}  // namespace samlabel::engine
