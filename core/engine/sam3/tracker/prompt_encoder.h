#pragma once
// INTERNAL (torch). The tracker's prompt encoder (transformers'
// Sam3TrackerPromptEncoder, hub prefix `tracker_model.prompt_encoder.`) and the
// random-Fourier positional embedding it shares its design with the image-wide
// positional encoding (`tracker_model.shared_image_embedding.`).
#include "core/engine/sam3/common/layers.h"
#include "core/engine/sam3/common/sam3_config.h"

namespace samlabel::engine::sam3 {

// Point labels as the decoder sees them.
enum PromptLabel : int64_t {
    kLabelPadding = -10,   // ignored (zero embedding)
    kLabelNotAPoint = -1,  // the pad point appended when there is no box
    kLabelNegative = 0,
    kLabelPositive = 1,
    kLabelBoxTopLeft = 2,
    kLabelBoxBottomRight = 3,
};

struct FourierPositionalEmbeddingImpl : torch::nn::Module {
    FourierPositionalEmbeddingImpl(int64_t hidden_size, const torch::TensorOptions& options);
    // coords in [0, 1], [..., 2] (x, y) -> [..., hidden_size] (sin half, cos half)
    torch::Tensor forward(const torch::Tensor& coords) const;
    torch::Tensor positional_embedding;  // buffer [2, hidden/2]
};
TORCH_MODULE(FourierPositionalEmbedding);

struct MaskEmbeddingImpl : torch::nn::Module {
    MaskEmbeddingImpl(const PromptEncoderConfig& config, const torch::TensorOptions& options);
    // mask logits [B, 1, 4g, 4g] -> [B, hidden, g, g]
    torch::Tensor forward(const torch::Tensor& masks) const;
    Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
};
TORCH_MODULE(MaskEmbedding);

struct PromptEmbeddings {
    torch::Tensor sparse;  // [1, 1, T, hidden]
    torch::Tensor dense;   // [1, hidden, g, g]
};

struct PromptEncoderImpl : torch::nn::Module {
    PromptEncoderImpl(const PromptEncoderConfig& config, const torch::TensorOptions& options);
    // points [1, 1, N, 2] in model-input pixels (fp32) with labels [1, 1, N]
    // (int64), box [1, 1, 4] (x0, y0, x1, y1) in model-input pixels, mask
    // logits [1, 1, 4g, 4g]; each may be undefined.
    PromptEmbeddings forward(torch::Tensor points, torch::Tensor labels, const torch::Tensor& box,
                             const torch::Tensor& mask) const;

    FourierPositionalEmbedding shared_embedding{nullptr};
    MaskEmbedding mask_embed{nullptr};
    TokenTable no_mask_embed{nullptr}, point_embed{nullptr}, not_a_point_embed{nullptr};

private:
    torch::Tensor embed_points(torch::Tensor points, torch::Tensor labels, bool pad) const;
    torch::Tensor embed_box(const torch::Tensor& box) const;
    PromptEncoderConfig config_;
};
TORCH_MODULE(PromptEncoder);

}  // namespace samlabel::engine::sam3
