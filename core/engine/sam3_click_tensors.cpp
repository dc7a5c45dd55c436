#include "core/engine/sam3_click_tensors.h"

#include "core/engine/sam3/tracker_model.h"

namespace samlabel::engine {

std::uint64_t ExpectedTensor::element_count() const {
    std::uint64_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);
    return n;
}

std::vector<ExpectedTensor> sam3_click_to_segment_tensors(const nlohmann::json& config, const nlohmann::json& processor_config) {
    const sam3::TrackerConfig parsed = sam3::parse_tracker_config(config, processor_config);
    const sam3::TrackerModel model(parsed, torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta));
    std::vector<ExpectedTensor> out;
    for (const auto& [name, tensor] : model.named_tensors()) out.push_back({name, tensor.sizes().vec()});
    return out;
}

}  // namespace samlabel::engine
