#pragma once
// INTERNAL (torch). SAM3's Perception Encoder ViT (transformers' Sam3ViTModel):
// 14 px patch embedding, a position embedding pretrained on a smaller grid and
// TILED to the input grid, a pre-norm, then layers of windowed (or global)
// self-attention with 2D axial rotary embeddings. Parameter names are the
// checkpoint's below `detector_model.vision_encoder.backbone.`.
#include "core/engine/sam3/common/cpu_bf16_gemm.h"
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
    // The same attention in pieces, calling pause() after the k and after the
    // v projection, then after each of `query_blocks` row blocks of queries
    // (each block: its q projection, its attention over all keys, its output
    // projection). A query's softmax sees all keys either way: same values.
    torch::Tensor forward_in_blocks(const torch::Tensor& x, const RopeTables& rope, int64_t query_blocks,
                                    const std::function<void()>& pause) const;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
    int heads, head_dim;
    // Set for the global layers. On a CPU whose bf16 products are slower than
    // fp32 (the fp32 route of cpu_bf16_gemm.h: no AMX), bf16 attention over a
    // long sequence (a full-size grid: 5184 tokens) is faster in fp32,
    // conversions included (measured, 2 cores: 0.58 s against 0.89 s a layer),
    // while over a 576-token window bf16 stays faster. The values are closer to
    // fp32's, not further: q and k leave the rope unrounded, the softmax stays fp32.
    static constexpr int64_t kFp32AttentionMinTokens = 2048;
    bool fp32_attention_on_cpu = false;
    bool attends_in_fp32(const torch::Tensor& x) const {
        return fp32_attention_on_cpu && x.is_cpu() && x.scalar_type() == torch::kBFloat16 &&
               x.size(1) * x.size(2) >= kFp32AttentionMinTokens &&
               cpu_bf16_gemm_choice().route == CpuBf16GemmRoute::ViaFp32;
    }
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
    // x [B, H, W, C]. With `pause` (the app's encodes), the layer calls
    // pause() between pieces of about equal work (pause_count() in all): a
    // click waits for a sliver of a layer, not a whole one (a full-size layer
    // is about 0.4-1.3 s on 2 CPU cores; the target is a 100 ms answer).
    // The pieces: k and v projections (kPauseKvSteps), blocks of queries
    // (attention_blocks()) and row blocks of the MLP (kPauseMlpChunks), each
    // per token or per query, so the values are those of the whole layer.
    static constexpr int kPauseKvSteps = 2;
    static constexpr int kPauseMlpChunks = 12;
    static constexpr int kMlpBlocks = 4;  // without pauses
    // Query blocks for a grid of grid_tokens tokens: kPauseWindowQueryBlocks for
    // a windowed layer; a global layer's queries each see all grid_tokens keys
    // instead of window^2, so it gets proportionally more blocks.
    static constexpr int kPauseWindowQueryBlocks = 6;
    int64_t attention_blocks(int64_t grid_tokens) const;
    int64_t pause_count(int64_t grid_tokens) const { return kPauseKvSteps + attention_blocks(grid_tokens) + kPauseMlpChunks; }
    torch::Tensor forward(torch::Tensor x, const RopeTables& rope, const std::function<void()>& pause = {}) const;
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
    RopeAttention attention{nullptr};
    ViTMlp mlp{nullptr};
    int window_size;         // 0: global attention
    int config_window_size;  // the windowed layers' size, also for a global layer's pause count
};
TORCH_MODULE(ViTLayer);

struct VisionTrunkImpl : torch::nn::Module {
    VisionTrunkImpl(const TrunkConfig& config, const torch::TensorOptions& options);
    // pixels [B, 3, S, S] (S = image_size) -> features [B, C, S/p, S/p]
    // between_steps(i, n), when given, runs at each of the layers' pause points
    // (ViTLayer::pause_count() per layer; i counts from 1 to n).
    torch::Tensor forward(const torch::Tensor& pixels, const std::function<void(int, int)>& between_steps = {});

    ViTEmbeddings embeddings{nullptr};
    LayerNorm layer_norm{nullptr};
    torch::nn::ModuleList layers;

private:
    TrunkConfig config_;
    RopeTables window_rope_, global_rope_;  // built on first use on the parameters' device
};
TORCH_MODULE(VisionTrunk);

}  // namespace samlabel::engine::sam3
