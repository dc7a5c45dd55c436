#include "core/service/image_source.h"

#include "core/engine/embedding_cache.h"
#include "core/io/image_reader.h"
#include "core/io/rgb_pixels.h"


#include <fstream>
#include <span>
#include <vector>

namespace samlabel::service {

std::optional<ModelImage> read_model_image(const QString& path, QString* error) {
    const std::filesystem::path file = io::path_from_utf8(path.toStdString());
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) {
        if (error) *error = path + QStringLiteral(": cannot open the file");
        return std::nullopt;
    }
    const auto size = static_cast<std::size_t>(in.tellg());
    std::vector<std::uint8_t> bytes(size);
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
        if (error) *error = path + QStringLiteral(": read error");
        return std::nullopt;
    }
    const io::ImageReadResult decoded = io::decode_image(std::span<const std::uint8_t>(bytes), path.toStdString());
    if (!decoded.ok()) {
        if (error) *error = QString::fromStdString(decoded.error);
        return std::nullopt;
    }
    ModelImage out;
    out.content_key = "file-" + engine::content_hash_hex(bytes.data(), bytes.size());
    bytes = {};
    out.image = model_rgb_from_bgr(decoded.bgr8);
    return out;
}

engine::ImageRgb8 model_rgb_from_bgr(const cv::Mat& bgr8) {
    return engine::ImageRgb8{bgr8.cols, bgr8.rows, io::packed_rgb_from_bgr(bgr8)};
}

}  // namespace samlabel::service
