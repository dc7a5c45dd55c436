#include "core/engine/sam3/common/layers.h"

#include "core/engine/sam3/common/cpu_bf16_gemm.h"

namespace samlabel::engine::sam3 {
namespace {
// Inference only: parameters never need gradients.
torch::Tensor param(torch::nn::Module& m, const char* name, at::IntArrayRef shape, const torch::TensorOptions& o) {
    return m.register_parameter(name, torch::empty(shape, o), /*requires_grad=*/false);
}
}  // namespace

LinearImpl::LinearImpl(int64_t in, int64_t out, const torch::TensorOptions& options, bool with_bias) {
    weight = param(*this, "weight", {out, in}, options);
    if (with_bias) bias = param(*this, "bias", {out}, options);
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) const { return linear_bf16_aware(x, weight, bias); }

Conv2dImpl::Conv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_, int64_t padding_,
                       const torch::TensorOptions& options, bool with_bias)
    : stride(stride_), padding(padding_) {
    weight = param(*this, "weight", {out, in, kernel, kernel}, options);
    if (with_bias) bias = param(*this, "bias", {out}, options);
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) const {
    return conv2d_bf16_aware(x, weight, bias, stride, padding);
}

ConvTranspose2dImpl::ConvTranspose2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_,
                                         const torch::TensorOptions& options)
    : stride(stride_) {
    weight = param(*this, "weight", {in, out, kernel, kernel}, options);
    bias = param(*this, "bias", {out}, options);
}

torch::Tensor ConvTranspose2dImpl::forward(const torch::Tensor& x) const {
    return conv_transpose2d_bf16_aware(x, weight, bias, stride);
}

LayerNormImpl::LayerNormImpl(int64_t dim_, double eps_, const torch::TensorOptions& options) : dim(dim_), eps(eps_) {
    weight = param(*this, "weight", {dim}, options);
    bias = param(*this, "bias", {dim}, options);
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) const {
    return torch::layer_norm(x, {dim}, weight, bias, eps);
}

torch::Tensor LayerNormImpl::forward_channels_first(const torch::Tensor& x) const {
    return forward(x.permute({0, 2, 3, 1})).permute({0, 3, 1, 2});
}

TokenTableImpl::TokenTableImpl(int64_t count, int64_t dim, const torch::TensorOptions& options) {
    weight = param(*this, "weight", {count, dim}, options);
}

FeedForwardImpl::FeedForwardImpl(int64_t in, int64_t hidden, int64_t out, int num_layers, bool sigmoid,
                                 const torch::TensorOptions& options)
    : sigmoid_output(sigmoid) {
    proj_in = register_module("proj_in", Linear(in, hidden, options));
    proj_out = register_module("proj_out", Linear(hidden, out, options));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < num_layers - 2; ++i) layers->push_back(Linear(hidden, hidden, options));
}

torch::Tensor FeedForwardImpl::forward(torch::Tensor x) const {
    x = torch::relu(proj_in->forward(x));
    for (const auto& layer : *layers) x = torch::relu(layer->as<LinearImpl>()->forward(x));
    x = proj_out->forward(x);
    return sigmoid_output ? torch::sigmoid(x) : x;
}

}  // namespace samlabel::engine::sam3
