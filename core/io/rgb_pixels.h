#pragma once
// OpenCV decodes images to BGR; the model takes, and gives back, tightly packed
// RGB rows (engine::ImageRgb8's pixels). These two are the one place image
// channels are swapped between the orders (the canvas and thumbnails show BGR
// as it is, through QImage::Format_BGR888).
#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <vector>

namespace samlabel::io {

// `bgr8` (CV_8UC3, any row step, e.g. an ROI) as width * height * 3 bytes, RGB.
// Throws std::invalid_argument naming the type for anything but CV_8UC3.
std::vector<std::uint8_t> packed_rgb_from_bgr(const cv::Mat& bgr8);

// Packed RGB rows (width * height * 3 bytes at `rgb`) as a new CV_8UC3 BGR image.
// Throws std::invalid_argument for a negative size.
cv::Mat bgr_from_packed_rgb(const std::uint8_t* rgb, int width, int height);

}  // namespace samlabel::io
