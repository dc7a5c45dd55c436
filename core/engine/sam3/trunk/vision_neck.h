#pragma once
// INTERNAL (torch). The tracker's FPN neck (transformers' Sam3VisionNeck, hub
// prefix `tracker_neck.`): per level, up- or down-scaling of the trunk's
// features (4x: two transposed convs with GELU; 2x: one; 1x: none; 0.5x:
// max-pool) then a 1x1 and a 3x3 conv to fpn_hidden_size channels. Only the
// levels the click path reads are built (TrackerConfig::kUsedNeckLevels).
#include "core/engine/sam3/common/layers.h"
#include "core/engine/sam3/common/sam3_config.h"

#include <vector>

namespace samlabel::engine::sam3 {

struct FpnLayerImpl : torch::nn::Module {
    FpnLayerImpl(int64_t in_channels, int64_t fpn_dim, double scale_factor, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x) const;
    torch::nn::ModuleList scale_layers;  // indices as upstream: GELU at 1 has no weights
    Conv2d proj1{nullptr}, proj2{nullptr};
    double scale_factor;
};
TORCH_MODULE(FpnLayer);

struct VisionNeckImpl : torch::nn::Module {
    VisionNeckImpl(const TrunkConfig& trunk, const NeckConfig& neck, int levels, const torch::TensorOptions& options);
    // features [B, C_trunk, g, g] -> one [B, fpn, s*g, s*g] per built level
    std::vector<torch::Tensor> forward(const torch::Tensor& features) const;
    torch::nn::ModuleList fpn_layers;
};
TORCH_MODULE(VisionNeck);

}  // namespace samlabel::engine::sam3
