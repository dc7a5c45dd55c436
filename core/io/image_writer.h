#pragma once
// Writing an image to a user path: encoded in memory (cv::imencode), then
// written through the std::filesystem::path (atomically), never cv::imwrite:
// cv::imwrite takes a char path, which Windows reads in the ANSI code page, so
// a folder such as "données d'été 数据" would fail or land elsewhere.
// The reading side is image_reader.h (bytes, then cv::imdecode).
#include <opencv2/core.hpp>

#include <filesystem>

namespace samlabel::io {

// Encodes `image` as PNG and replaces `path` with it (write_file_atomically).
// Throws std::runtime_error ("<path>: <what failed>", the path in UTF-8).
void write_png_file(const std::filesystem::path& path, const cv::Mat& image);

}  // namespace samlabel::io
