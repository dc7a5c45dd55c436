#pragma once
// INTERNAL (torch). The building blocks of the SAM3 modules. Unlike
// torch::nn's own layers these never initialise: parameters are created with
// torch::empty in the target dtype on the target device (or the meta device)
// and are filled by the weight streamer, so a load never allocates a random
// fp32 copy first. Parameter names follow transformers' (weight, bias).
#include <torch/torch.h>

#include <string>

namespace samlabel::engine::sam3 {

struct LinearImpl : torch::nn::Module {
    LinearImpl(int64_t in, int64_t out, const torch::TensorOptions& options, bool with_bias = true);
    // A CPU bf16 product takes the faster of two routes (cpu_bf16_gemm.h).
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

struct Conv2dImpl : torch::nn::Module {
    Conv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
               const torch::TensorOptions& options, bool with_bias = true);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight, bias;
    int64_t stride, padding;
};
TORCH_MODULE(Conv2d);

// Weight layout [in, out, k, k] as torch.nn.ConvTranspose2d.
struct ConvTranspose2dImpl : torch::nn::Module {
    ConvTranspose2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight, bias;
    int64_t stride;
};
TORCH_MODULE(ConvTranspose2d);

// Over the last dimension; forward_channels_first normalises dim 1 of NCHW
// (transformers' Sam3TrackerLayerNorm data_format="channels_first").
struct LayerNormImpl : torch::nn::Module {
    LayerNormImpl(int64_t dim, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor forward_channels_first(const torch::Tensor& x) const;
    torch::Tensor weight, bias;
    int64_t dim;
    double eps;
};
TORCH_MODULE(LayerNorm);

// nn.Embedding used as a table of learned tokens: only `weight`.
struct TokenTableImpl : torch::nn::Module {
    TokenTableImpl(int64_t count, int64_t dim, const torch::TensorOptions& options);
    torch::Tensor weight;
};
TORCH_MODULE(TokenTable);

// transformers' Sam3TrackerFeedForward: proj_in, (num_layers - 2) hidden
// `layers`, proj_out; ReLU between; optional sigmoid on the output.
struct FeedForwardImpl : torch::nn::Module {
    FeedForwardImpl(int64_t in, int64_t hidden, int64_t out, int num_layers, bool sigmoid_output,
                    const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x) const;
    Linear proj_in{nullptr}, proj_out{nullptr};
    torch::nn::ModuleList layers;
    bool sigmoid_output;
};
TORCH_MODULE(FeedForward);

// Exact (erf) GELU: transformers' "gelu" and nn.GELU().
inline torch::Tensor gelu_exact(const torch::Tensor& x) { return torch::gelu(x); }

}  // namespace samlabel::engine::sam3
