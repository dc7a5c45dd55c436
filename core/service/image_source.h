#pragma once
// An image file read for the model: the file's bytes are read once, hashed
// (the embedding cache's content key: the same file content gives the same key
// under any name or path) and decoded through core/io (EXIF orientation applied,
// so prompts and masks share the frame the canvas shows).
#include "core/engine/engine_types.h"

#include <QString>

#include <optional>
#include <string>

namespace cv {
class Mat;
}

namespace samlabel::service {

struct ModelImage {
    engine::ImageRgb8 image;
    std::string content_key;  // "file-<128-bit hash of the bytes>"
};

// nullopt with *error set ("<file>: <problem>") when unreadable.
std::optional<ModelImage> read_model_image(const QString& path, QString* error);

// core/io's decoded BGR image (CV_8UC3) as the model's tightly packed RGB
// (io::packed_rgb_from_bgr, the one BGR -> RGB conversion).
engine::ImageRgb8 model_rgb_from_bgr(const cv::Mat& bgr8);

}  // namespace samlabel::service
