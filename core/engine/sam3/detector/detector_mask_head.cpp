#include "core/engine/sam3/detector/detector_mask_head.h"

namespace samlabel::engine::sam3 {
namespace {
constexpr double kLayerNormEps = 1e-5;
constexpr int kGroups = 8;
constexpr double kGroupNormEps = 1e-5;
// The finer neck levels the pixel decoder adds back: 2x, then 4x.
constexpr int kStagesUsed = DetectorConfig::kUsedNeckLevels - 1;

// How the 3 taps of a 3x3 kernel fold onto 2 source pixels for an output of
// parity p after a 2x nearest upsampling: p = 0 reads source offsets -1, 0
// (tap 0; taps 1 + 2), p = 1 reads offsets 0, +1 (taps 0 + 1; tap 2).
torch::Tensor tap_folding(int parity, const torch::TensorOptions& options) {
    return parity == 0 ? torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 1.0}, options).view({2, 3})
                       : torch::tensor({1.0, 1.0, 0.0, 0.0, 0.0, 1.0}, options).view({2, 3});
}
}  // namespace

PixelDecoderImpl::PixelDecoderImpl(const DetectorMaskDecoderConfig& c, int stages, const torch::TensorOptions& o) {
    conv_layers = register_module("conv_layers", torch::nn::ModuleList());
    norms = register_module("norms", torch::nn::ModuleList());
    for (int i = 0; i < stages; ++i) {
        conv_layers->push_back(Conv2d(c.hidden_size, c.hidden_size, 3, 1, 1, o));
        // GroupNorm's parameters: a weight and a bias per channel, like LayerNorm's.
        norms->push_back(LayerNorm(c.hidden_size, kGroupNormEps, o));
    }
}

MaskEmbedderImpl::MaskEmbedderImpl(const DetectorMaskDecoderConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < 3; ++i) layers->push_back(Linear(c.hidden_size, c.hidden_size, o));
}

torch::Tensor MaskEmbedderImpl::forward(const torch::Tensor& queries) const {
    torch::Tensor x = queries;
    for (std::size_t i = 0; i < layers->size(); ++i) {
        x = layers->ptr<LinearImpl>(i)->forward(x);
        if (i + 1 < layers->size()) x = torch::relu(x);
    }
    return x;
}

std::uint64_t MaskHeadImage::byte_size() const {
    std::uint64_t bytes = 0;
    for (const auto& t : level_convolutions) bytes += t.nbytes();
    return bytes;
}

DetectorMaskHeadImpl::DetectorMaskHeadImpl(const DetectorMaskDecoderConfig& c, const torch::TensorOptions& o) {
    pixel_decoder = register_module("pixel_decoder", PixelDecoder(c, kStagesUsed, o));
    mask_embedder = register_module("mask_embedder", MaskEmbedder(c, o));
    instance_projection = register_module("instance_projection", Conv2d(c.hidden_size, c.hidden_size, 1, 1, 0, o));
    prompt_cross_attn = register_module("prompt_cross_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    prompt_cross_attn_norm = register_module("prompt_cross_attn_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
}

void DetectorMaskHeadImpl::weights_loaded() {
    pixel_decoder->parity_kernels.clear();
    for (std::size_t stage = 0; stage < pixel_decoder->conv_layers->size(); ++stage) {
        const torch::Tensor w = pixel_decoder->conv_layers->ptr<Conv2dImpl>(stage)->weight;  // [O, I, 3, 3]
        const auto f64 = w.options().dtype(torch::kDouble);
        std::vector<torch::Tensor> kernels;
        for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 2; ++b)  // K[o, i] = R_a W[o, i] R_b^T, summed in fp64 then rounded once
                kernels.push_back(torch::einsum("yj,oijk,xk->oiyx", {tap_folding(a, f64), w.to(torch::kDouble), tap_folding(b, f64)})
                                      .to(w.scalar_type()));
        pixel_decoder->parity_kernels.push_back(torch::stack(kernels).contiguous());
    }
}

torch::Tensor DetectorMaskHeadImpl::upsampled_convolution(const torch::Tensor& x, int stage) const {
    const torch::Tensor& kernels = pixel_decoder->parity_kernels.at(static_cast<std::size_t>(stage));
    const int64_t c = kernels.size(1), h = x.size(2), w = x.size(3);
    // The 3x3 convolution's zero padding of the upsampled map is one source pixel of zeros.
    const torch::Tensor padded = torch::constant_pad_nd(x, {1, 1, 1, 1});
    torch::Tensor out = torch::empty({c, h, 2, w, 2}, x.options());
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
            const torch::Tensor window = padded.slice(2, a, a + h + 1).slice(3, b, b + w + 1);
            out.select(4, b).select(2, a).copy_(torch::conv2d(window, kernels[2 * a + b])[0]);
        }
    return out.view({1, c, 2 * h, 2 * w});
}

MaskHeadImage DetectorMaskHeadImpl::prepare_image(const std::vector<torch::Tensor>& finer_levels) const {
    // Stage i adds the level just finer than its input: 2x first, then 4x.
    MaskHeadImage image;
    for (int stage = 0; stage < kStagesUsed; ++stage) {
        const torch::Tensor& level = finer_levels.at(static_cast<std::size_t>(kStagesUsed - 1 - stage));
        image.level_convolutions.push_back(pixel_decoder->conv_layers->ptr<Conv2dImpl>(stage)->forward(level).contiguous());
    }
    return image;
}

torch::Tensor DetectorMaskHeadImpl::pixel_features(const torch::Tensor& encoded, const torch::Tensor& prompt,
                                                   const MaskHeadImage& image, int64_t grid_height, int64_t grid_width) const {
    const torch::Tensor normed = prompt_cross_attn_norm->forward(encoded);
    const torch::Tensor attended = encoded + prompt_cross_attn->forward(normed, prompt, prompt);
    torch::Tensor x = attended.t().reshape({1, attended.size(1), grid_height, grid_width});
    for (int stage = 0; stage < kStagesUsed; ++stage) {
        const auto norm = pixel_decoder->norms->ptr<LayerNormImpl>(stage);
        x = upsampled_convolution(x, stage);
        x.add_(image.level_convolutions[stage]);
        x = torch::group_norm(x, kGroups, norm->weight, norm->bias, kGroupNormEps);
        x.relu_();
    }
    return x[0];
}

torch::Tensor DetectorMaskHeadImpl::mask_logits(const torch::Tensor& queries, const torch::Tensor& pixels) const {
    const int64_t c = pixels.size(0), h = pixels.size(1), w = pixels.size(2);
    const torch::Tensor embedded = mask_embedder->forward(queries.to(instance_projection->weight.scalar_type()));  // [K, C]
    const torch::Tensor projection = instance_projection->weight.view({c, c});
    // sum_o e[o] (W[o] . p + b[o]) = (e W) . p + e . b
    const torch::Tensor folded = torch::matmul(embedded, projection);  // [K, C]
    const torch::Tensor offset = torch::matmul(embedded, instance_projection->bias);  // [K]
    const torch::Tensor logits = torch::addmm(offset.unsqueeze(1), folded, pixels.reshape({c, h * w}));
    return logits.view({-1, h, w}).to(torch::kFloat);
}

}  // namespace samlabel::engine::sam3
