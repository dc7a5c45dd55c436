#pragma once
// INTERNAL (torch). Sam3TrackerProcessor's image and prompt handling, op for
// op: resize to the model size WITHOUT keeping the aspect ratio (bilinear,
// antialiased, on uint8 as torchvision does on the CPU), fused rescale +
// normalise, prompt coordinates scaled per axis to the target size, and the
// masks' bilinear upsampling back to the image.
#include "core/engine/engine_types.h"
#include "core/engine/sam3/common/sam3_config.h"

#include <torch/torch.h>

namespace samlabel::engine::sam3 {

// Throws std::invalid_argument for an empty image or a pixel buffer of the wrong size.
void validate_image(const ImageRgb8& image);

// uint8 [1, 3, height, width].
torch::Tensor resize_rgb8(const ImageRgb8& image, int height, int width);

// fp32 [1, 3, S, S] normalised pixels.
torch::Tensor preprocess_image(const ImageRgb8& image, const ProcessorConfig& config);

// Original-pixel coordinates -> model-input pixels: x * (target / width),
// y * (target / height), in fp32 like the processor.
float scale_x(float x, int image_width, const ProcessorConfig& config);
float scale_y(float y, int image_height, const ProcessorConfig& config);

// low-res logits [1, K, h, w] (any float dtype) -> fp32 logits [K, height, width].
torch::Tensor upsample_masks(const torch::Tensor& low_res, int height, int width);

}  // namespace samlabel::engine::sam3
