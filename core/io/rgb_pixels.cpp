#include "core/io/rgb_pixels.h"

#include <opencv2/imgproc.hpp>

#include <stdexcept>
#include <string>

namespace samlabel::io {

std::vector<std::uint8_t> packed_rgb_from_bgr(const cv::Mat& bgr8) {
    if (bgr8.type() != CV_8UC3)
        throw std::invalid_argument("packed_rgb_from_bgr: expected an 8-bit, 3-channel BGR image, got OpenCV type " +
                                    std::to_string(bgr8.type()) + " with " + std::to_string(bgr8.channels()) + " channel(s)");
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(bgr8.cols) * bgr8.rows * 3);
    // A Mat over the output buffer: cvtColor writes the packed rows directly.
    cv::Mat out(bgr8.rows, bgr8.cols, CV_8UC3, rgb.data());
    if (!rgb.empty()) cv::cvtColor(bgr8, out, cv::COLOR_BGR2RGB);
    return rgb;
}

cv::Mat bgr_from_packed_rgb(const std::uint8_t* rgb, int width, int height) {
    if (width < 0 || height < 0)
        throw std::invalid_argument("bgr_from_packed_rgb: negative size " + std::to_string(width) + "x" + std::to_string(height));
    if (width == 0 || height == 0) return cv::Mat(height, width, CV_8UC3);
    const cv::Mat in(height, width, CV_8UC3, const_cast<std::uint8_t*>(rgb));
    cv::Mat bgr;
    cv::cvtColor(in, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

}  // namespace samlabel::io
