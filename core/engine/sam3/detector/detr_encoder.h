#pragma once
// INTERNAL (torch). SAM3's DETR encoder (transformers' Sam3DetrEncoder, hub
// prefix `detector_model.detr_encoder.`): the 1x level's tokens, pre-norm
// layers of self-attention (queries and keys carry the sine position),
// cross-attention to the prompt tokens (text and boxes), and a ReLU MLP. This
// is where the prompt first meets the image, so it runs once per prompt; its
// self-attention over every token of the level is the detector's largest cost.
// The first layer's self-attention comes before any prompt, so it is done once
// per image (prepare_image) and every prompt starts from its result.
#include "core/engine/sam3/common/multi_head_attention.h"
#include "core/engine/sam3/detector/detector_config.h"
#include "core/engine/sam3/detector/detector_layers.h"

namespace samlabel::engine::sam3 {

struct DetrEncoderLayerImpl : torch::nn::Module {
    DetrEncoderLayerImpl(const DetectorStackConfig& config, const torch::TensorOptions& options);
    // x [HW, C]; position [HW, C]; prompt [P, C]
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& position, const torch::Tensor& prompt) const {
        return attend_prompt(self_attend(std::move(x), position), prompt);
    }
    // The layer's two halves: self-attention (no prompt), then cross-attention
    // to the prompt and the MLP.
    torch::Tensor self_attend(torch::Tensor x, const torch::Tensor& position) const;
    torch::Tensor attend_prompt(torch::Tensor x, const torch::Tensor& prompt) const;
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr}, layer_norm3{nullptr};
    MultiHeadAttention self_attn{nullptr}, cross_attn{nullptr};
    ReluMlp mlp{nullptr};
};
TORCH_MODULE(DetrEncoderLayer);

struct DetrEncoderImpl : torch::nn::Module {
    DetrEncoderImpl(const DetectorStackConfig& config, const torch::TensorOptions& options);
    // The image's tokens [HW, C] after the first layer's self-attention.
    torch::Tensor prepare_image(const torch::Tensor& image, const torch::Tensor& position) const;
    // prepared: prepare_image's result; the rest of the layers with the prompt.
    torch::Tensor forward(torch::Tensor prepared, const torch::Tensor& position, const torch::Tensor& prompt) const;
    torch::nn::ModuleList layers;
};
TORCH_MODULE(DetrEncoder);

}  // namespace samlabel::engine::sam3
