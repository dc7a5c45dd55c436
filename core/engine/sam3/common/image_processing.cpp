#include "core/engine/sam3/common/image_processing.h"

#include <stdexcept>
#include <string>

namespace samlabel::engine::sam3 {
namespace F = torch::nn::functional;

void validate_image(const ImageRgb8& image) {
    if (image.width <= 0 || image.height <= 0)
        throw std::invalid_argument("image has no pixels (" + std::to_string(image.width) + "x" + std::to_string(image.height) + ")");
    const std::size_t expected = static_cast<std::size_t>(image.width) * image.height * 3;
    if (image.pixels.size() != expected)
        throw std::invalid_argument("image pixel buffer holds " + std::to_string(image.pixels.size()) + " bytes, expected " +
                                    std::to_string(expected) + " for " + std::to_string(image.width) + "x" +
                                    std::to_string(image.height) + " RGB");
}

torch::Tensor resize_rgb8(const ImageRgb8& image, int height, int width) {
    validate_image(image);
    // HWC bytes viewed as NCHW (channels-last strides), as torchvision sees a
    // PIL image converted to a tensor; uint8 in, uint8 out.
    const torch::Tensor hwc = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()),
                                               {image.height, image.width, 3}, torch::kByte);
    const torch::Tensor nchw = hwc.permute({2, 0, 1}).unsqueeze(0);
    if (image.height == height && image.width == width) return nchw.contiguous();
    return F::interpolate(nchw, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{height, width})
                                    .mode(torch::kBilinear)
                                    .align_corners(false)
                                    .antialias(true));
}

torch::Tensor preprocess_image(const ImageRgb8& image, const ProcessorConfig& c) {
    torch::Tensor x = resize_rgb8(image, c.height, c.width).to(torch::kFloat);
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
    torch::Tensor mean = torch::tensor({c.image_mean[0], c.image_mean[1], c.image_mean[2]}, f32);
    torch::Tensor std = torch::tensor({c.image_std[0], c.image_std[1], c.image_std[2]}, f32);
    if (c.do_rescale && c.do_normalize) {
        // Fused as the processor does: (x - mean/r) / (std/r), r = rescale_factor.
        mean = mean * (1.0 / c.rescale_factor);
        std = std * (1.0 / c.rescale_factor);
        x = x.sub(mean.view({1, 3, 1, 1})).div(std.view({1, 3, 1, 1}));
    } else if (c.do_normalize) {
        x = x.sub(mean.view({1, 3, 1, 1})).div(std.view({1, 3, 1, 1}));
    } else if (c.do_rescale) {
        x = x * c.rescale_factor;
    }
    return x.contiguous();
}

float scale_x(float x, int image_width, const ProcessorConfig& c) {
    return x * static_cast<float>(static_cast<double>(c.target_size) / image_width);
}

float scale_y(float y, int image_height, const ProcessorConfig& c) {
    return y * static_cast<float>(static_cast<double>(c.target_size) / image_height);
}

torch::Tensor upsample_masks(const torch::Tensor& low_res, int height, int width) {
    return F::interpolate(low_res.to(torch::kFloat), F::InterpolateFuncOptions()
                                                         .size(std::vector<int64_t>{height, width})
                                                         .mode(torch::kBilinear)
                                                         .align_corners(false))
        .squeeze(0);
}

}  // namespace samlabel::engine::sam3
