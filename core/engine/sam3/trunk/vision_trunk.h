#pragma once
// INTERNAL (torch). SAM3's Perception Encoder ViT (transformers' Sam3ViTModel):
// 14 px patch embedding, a position embedding pretrained on a smaller grid and
// TILED to the input grid, a pre-norm, then layers of windowed (or global)
// self-attention with 2D axial rotary embeddings. Parameter names are the
// checkpoint's below `detector_model.vision_encoder.backbone.`.
#include "core/engine/sam3/common/layers.h"
#include "core/engine/sam3/trunk/rotary_embedding.h"
#include "core/engine/sam3/common/sam3_config.h"

#include <functional>

namespace samlabel::engine::sam3 {

struct PatchEmbeddingsImpl : torch::nn::Module {
    PatchEmbeddingsImpl(const TrunkConfig& config, const torch::TensorOptions& options);
    Conv2d projection{nullptr};
};
TORCH_MODULE(PatchEmbeddings);

struct ViTEmbeddingsImpl : torch::nn::Module {
    ViTEmbeddingsImpl(const TrunkConfig& config, const torch::TensorOptions& options);
    // pixels [B, 3, H, W] -> [B, H/p * W/p, C]
    torch::Tensor forward(const torch::Tensor& pixels) const;
    PatchEmbeddings patch_embeddings{nullptr};
    torch::Tensor position_embeddings;  // [1, pretrain_grid^2, C]
    int patch_size;
};
TORCH_MODULE(ViTEmbeddings);

struct RopeAttentionImpl : torch::nn::Module {
    RopeAttentionImpl(const TrunkConfig& config, const torch::TensorOptions& options);
    // x [B', h, w, C] -> [B', h, w, C]
    torch::Tensor forward(const torch::Tensor& x, const RopeTables& rope) const;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
    int heads, head_dim;
};
TORCH_MODULE(RopeAttention);

struct ViTMlpImpl : torch::nn::Module {
    ViTMlpImpl(const TrunkConfig& config, const torch::TensorOptions& options);
    // GELU in place on fc1's output (same kernel, same values): one T x M
    // activation live instead of two, the trunk's largest.
    torch::Tensor forward(const torch::Tensor& x) const {
        torch::Tensor hidden = fc1->forward(x);
        at::gelu_(hidden);
        return fc2->forward(hidden);
    }
    Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ViTMlp);

struct ViTLayerImpl : torch::nn::Module {
    ViTLayerImpl(const TrunkConfig& config, int window_size, const torch::TensorOptions& options);
    // x [B, H, W, C]
    torch::Tensor forward(torch::Tensor x, const RopeTables& rope) const;
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
    RopeAttention attention{nullptr};
    ViTMlp mlp{nullptr};
    int window_size;  // 0: global attention
};
TORCH_MODULE(ViTLayer);

struct VisionTrunkImpl : torch::nn::Module {
    VisionTrunkImpl(const TrunkConfig& config, const torch::TensorOptions& options);
    // pixels [B, 3, S, S] (S = image_size) -> features [B, C, S/p, S/p]
    // between_layers(i, n) runs after layer i of n (1-based), when given.
    torch::Tensor forward(const torch::Tensor& pixels, const std::function<void(int, int)>& between_layers = {});

    ViTEmbeddings embeddings{nullptr};
    LayerNorm layer_norm{nullptr};
    torch::nn::ModuleList layers;

private:
    TrunkConfig config_;
    RopeTables window_rope_, global_rope_;  // built on first use on the parameters' device
};
TORCH_MODULE(VisionTrunk);

}  // namespace samlabel::engine::sam3
