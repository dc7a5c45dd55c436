#pragma once
// INTERNAL (torch). SAM3's detection mask head (transformers' Sam3MaskDecoder,
// hub prefix `detector_model.mask_decoder.`): the encoded image attends to the
// prompt once more (pre-norm, residual), then a pixel decoder climbs the neck
// levels back to 4x (nearest upsampling, add the level, 3x3 conv, GroupNorm(8),
// ReLU per step), and each query's mask is the dot product of its embedding
// (a 3-layer MLP) with the 1x1-projected pixel features.
//
// What depends only on the image is done once per image (prepare_image): a
// convolution is linear, so conv(up(x) + level) = conv_without_bias(up(x)) +
// conv(level), and conv(level) is kept with the image. A 3x3 convolution of a
// 2x nearest upsampling is four 2x2 convolutions of the small map, one per
// output parity, with the taps that read the same source pixel summed
// (4/9 of the work, no upsampled copy). The 1x1 instance projection is folded
// into the query embeddings (K x C x C instead of a C x C GEMM over every
// pixel), and only the queries asked for get masks.
// The semantic-segmentation head (semantic_projection) feeds nothing the
// instance results use and is not loaded; nor is the third pixel-decoder
// stage, which three neck levels never reach.
#include "core/engine/sam3/common/multi_head_attention.h"
#include "core/engine/sam3/detector/detector_config.h"

#include <vector>

namespace samlabel::engine::sam3 {

struct PixelDecoderImpl : torch::nn::Module {
    PixelDecoderImpl(const DetectorMaskDecoderConfig& config, int stages, const torch::TensorOptions& options);
    torch::nn::ModuleList conv_layers, norms;
    // Per stage, the 2x2 kernels of the four output parities (weights_loaded).
    std::vector<torch::Tensor> parity_kernels;  // [4, C, C, 2, 2] each: (row parity, column parity) = (0,0), (0,1), (1,0), (1,1)
};
TORCH_MODULE(PixelDecoder);

struct MaskEmbedderImpl : torch::nn::Module {
    MaskEmbedderImpl(const DetectorMaskDecoderConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& queries) const;
    torch::nn::ModuleList layers;
};
TORCH_MODULE(MaskEmbedder);

// Per image: conv_layers[i](level) for the levels the pixel decoder adds, finest last.
struct MaskHeadImage {
    std::vector<torch::Tensor> level_convolutions;  // [1, C, 2g, 2g], [1, C, 4g, 4g]
    std::uint64_t byte_size() const;
};

struct DetectorMaskHeadImpl : torch::nn::Module {
    DetectorMaskHeadImpl(const DetectorMaskDecoderConfig& config, const torch::TensorOptions& options);
    // Call once the weights are in: derives the pixel decoder's parity kernels.
    void weights_loaded();
    // conv3x3(nearest 2x upsampling of x), no bias, through the parity kernels: [1, C, h, w] -> [1, C, 2h, 2w].
    torch::Tensor upsampled_convolution(const torch::Tensor& x, int stage) const;
    // levels: the neck's [1, C, 4g, 4g], [1, C, 2g, 2g] (the 1x level is replaced by the encoder output).
    MaskHeadImage prepare_image(const std::vector<torch::Tensor>& finer_levels) const;
    // encoded [HW, C] (DETR encoder output), prompt [P, C] -> pixel features [C, 4g, 4g]
    torch::Tensor pixel_features(const torch::Tensor& encoded, const torch::Tensor& prompt, const MaskHeadImage& image,
                                 int64_t grid_height, int64_t grid_width) const;
    // queries [K, C] (decoder output) -> mask logits [K, 4g, 4g] fp32
    torch::Tensor mask_logits(const torch::Tensor& queries, const torch::Tensor& pixel_features) const;

    PixelDecoder pixel_decoder{nullptr};
    MaskEmbedder mask_embedder{nullptr};
    Conv2d instance_projection{nullptr};
    MultiHeadAttention prompt_cross_attn{nullptr};
    LayerNorm prompt_cross_attn_norm{nullptr};
};
TORCH_MODULE(DetectorMaskHead);

}  // namespace samlabel::engine::sam3
