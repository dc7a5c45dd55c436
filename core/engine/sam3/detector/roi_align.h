#pragma once
// INTERNAL (torch). torchvision.ops.roi_align as SAM3's geometry encoder calls
// it (spatial_scale 1, sampling_ratio -1 = adaptive, aligned=False): libtorch
// does not ship torchvision's operators. Each output bin averages
// ceil(roi_size_in_pixels / output_size) x ... bilinear samples at the bin's
// sub-cell centres, with torchvision's border rules (samples beyond one pixel
// outside the map count as 0; coordinates below 0 clamp to 0; the last row and
// column repeat). Computed in fp32 on the CPU whatever the features' device:
// a prompt has a handful of boxes, and the result goes back to the features' device.
#include <torch/torch.h>

namespace samlabel::engine::sam3 {

// features [H, W, C] (channels last, any float dtype/device); boxes [N, 4]
// xyxy in feature-map pixels -> [N, C, output_size, output_size] in the
// features' dtype and device.
torch::Tensor roi_align(const torch::Tensor& features_hwc, const torch::Tensor& boxes_xyxy, int64_t output_size);

}  // namespace samlabel::engine::sam3
