#include "core/engine/sam3/detector/detector_mask_head.h"

namespace samlabel::engine::sam3 {
namespace {
constexpr double kLayerNormEps = 1e-5;
constexpr int kGroups = 8;
constexpr double kGroupNormEps = 1e-5;
// The finer neck levels the pixel decoder adds back: 2x, then 4x.
constexpr int kStagesUsed = DetectorConfig::kUsedNeckLevels - 1;

torch::Tensor upsample_nearest_2x(const torch::Tensor& x) {  // [1, C, h, w] -> [1, C, 2h, 2w]
    return x.repeat_interleave(2, 2).repeat_interleave(2, 3);
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
        const auto conv = pixel_decoder->conv_layers->ptr<Conv2dImpl>(stage);
        const auto norm = pixel_decoder->norms->ptr<LayerNormImpl>(stage);
        x = torch::conv2d(upsample_nearest_2x(x), conv->weight, {}, 1, 1) + image.level_convolutions[stage];
        x = torch::relu(torch::group_norm(x, kGroups, norm->weight, norm->bias, kGroupNormEps));
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
