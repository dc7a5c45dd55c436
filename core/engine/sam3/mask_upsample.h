#pragma once
// INTERNAL (torch). Sam3TrackerProcessor.post_process_masks for the masks a
// click returns: bilinear upsampling of the low-res logits to the image
// (align_corners=False) and the > 0 threshold, fused. On the CPU it writes the
// 0/1 bytes straight into the caller's buffers without the full-size fp32
// logits (3 x 1.2 M floats per click at 1280x960); elsewhere it runs the torch
// ops (upsample_masks, > 0) and copies the bytes back.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace samlabel::engine::sam3 {

// low_res [K, h, w] logits (any float dtype, any device); out[k] points to
// height * width bytes (row-major) that receive (bilinear(low_res[k]) > 0).
// Same sampling as at::upsample_bilinear2d (align_corners=False, no scale
// factor): results agree except where the interpolated logit is within float
// rounding of 0.
void upsample_threshold_masks(const torch::Tensor& low_res, int height, int width, const std::vector<std::uint8_t*>& out);

}  // namespace samlabel::engine::sam3
