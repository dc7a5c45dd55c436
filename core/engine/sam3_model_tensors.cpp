#include "core/engine/sam3_model_tensors.h"

#include "core/engine/sam3/sam3_model.h"

namespace samlabel::engine {

std::uint64_t ExpectedTensor::element_count() const {
    std::uint64_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);
    return n;
}

std::vector<ExpectedTensor> sam3_part_tensors(const nlohmann::json& config, PartSet parts, const nlohmann::json& processor_config) {
    const auto meta = torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta);
    const sam3::Sam3Model model(config, processor_config, parts, meta, meta);
    std::vector<ExpectedTensor> out;
    for (const auto& [name, tensor] : model.named_tensors()) out.push_back({name, tensor.sizes().vec()});
    return out;
}

}  // namespace samlabel::engine
