#pragma once
// INTERNAL (torch). The processors' mask post-processing: bilinear upsampling
// of low-res masks to the image (align_corners=False) and a threshold, fused
// (Sam3TrackerProcessor.post_process_masks for clicks, the mask part of
// Sam3Processor.post_process_instance_segmentation for detections). On the CPU it writes the
// 0/1 bytes straight into the caller's buffers without the full-size fp32
// logits (3 x 1.2 M floats per click at 1280x960); elsewhere it runs the torch
// ops (upsample_masks, > 0) and copies the bytes back.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace samlabel::engine::sam3 {

// low_res [K, h, w] (any float dtype, any device); out[k] points to
// height * width bytes (row-major) that receive (bilinear(low_res[k]) > threshold).
// Same sampling as at::upsample_bilinear2d (align_corners=False, no scale
// factor): results agree except where the interpolated value is within float
// rounding of the threshold. Clicks threshold logits at 0; detection
// thresholds probabilities (sigmoid first) at its mask threshold.
void upsample_threshold_masks(const torch::Tensor& low_res, int height, int width, const std::vector<std::uint8_t*>& out,
                              float threshold = 0.f);

}  // namespace samlabel::engine::sam3
