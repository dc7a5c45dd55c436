#include "core/engine/sam3/detector/detector_layers.h"

#include <stdexcept>

namespace samlabel::engine::sam3 {

ReluMlpImpl::ReluMlpImpl(int64_t width, int64_t hidden, const torch::TensorOptions& o) {
    fc1 = register_module("fc1", Linear(width, hidden, o));
    fc2 = register_module("fc2", Linear(hidden, width, o));
}

DecoderMlpImpl::DecoderMlpImpl(int64_t in, int64_t hidden, int64_t out, int num_layers, const torch::TensorOptions& o) {
    if (num_layers != 2 && num_layers != 3) throw std::invalid_argument("DecoderMlp: 2 or 3 layers");
    layer1 = register_module("layer1", Linear(in, hidden, o));
    layer2 = register_module("layer2", Linear(hidden, num_layers == 3 ? hidden : out, o));
    if (num_layers == 3) layer3 = register_module("layer3", Linear(hidden, out, o));
}

torch::Tensor DecoderMlpImpl::forward(const torch::Tensor& x) const {
    torch::Tensor h = torch::relu(layer1->forward(x));
    if (!layer3) return layer2->forward(h);
    return layer3->forward(torch::relu(layer2->forward(h)));
}

torch::Tensor box_cxcywh_to_xyxy(const torch::Tensor& b) {
    const auto parts = b.unbind(-1);
    const torch::Tensor &cx = parts[0], &cy = parts[1], &w = parts[2], &h = parts[3];
    return torch::stack({cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h}, -1);
}

torch::Tensor inverse_sigmoid(const torch::Tensor& x) {
    constexpr double eps = 1e-3;
    const torch::Tensor c = x.clamp(0, 1);
    return torch::log(c.clamp_min(eps) / (1 - c).clamp_min(eps));
}

}  // namespace samlabel::engine::sam3
