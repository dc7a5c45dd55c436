#pragma once
// INTERNAL (torch). Small building blocks shared by the detector's modules,
// named as transformers names them (hub keys below each module's prefix).
#include "core/engine/sam3/common/layers.h"

namespace samlabel::engine::sam3 {

// transformers' Sam3MLP with ReLU: fc1 -> relu -> fc2.
struct ReluMlpImpl : torch::nn::Module {
    ReluMlpImpl(int64_t width, int64_t hidden, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const { return fc2->forward(torch::relu(fc1->forward(x))); }
    Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ReluMlp);

// transformers' Sam3DecoderMLP: 2 or 3 linear layers (layer1, layer2[, layer3]), ReLU between.
struct DecoderMlpImpl : torch::nn::Module {
    DecoderMlpImpl(int64_t in, int64_t hidden, int64_t out, int num_layers, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    Linear layer1{nullptr}, layer2{nullptr}, layer3{nullptr};
};
TORCH_MODULE(DecoderMlp);

// transformers' box_cxcywh_to_xyxy on the last dimension.
torch::Tensor box_cxcywh_to_xyxy(const torch::Tensor& boxes);

// transformers' inverse_sigmoid: log(clamp(x, 1e-3) / clamp(1 - x, 1e-3)) of x clamped to [0, 1].
torch::Tensor inverse_sigmoid(const torch::Tensor& x);

}  // namespace samlabel::engine::sam3
