#pragma once
// Reading the SAM3 fixtures' PNG images and masks with Qt (the engine tests
// run under Qt Test; the GPU checks read PNM copies instead).
#include "core/engine/engine_types.h"

#include <QImage>
#include <QString>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace samlabel::engine::testing {

inline ImageRgb8 read_fixture_rgb(const std::filesystem::path& path) {
    QImage image(QString::fromStdString(path.string()));
    if (image.isNull()) throw std::runtime_error("cannot read " + path.string());
    image = image.convertToFormat(QImage::Format_RGB888);
    ImageRgb8 out;
    out.width = image.width();
    out.height = image.height();
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
    for (int y = 0; y < out.height; ++y)
        std::memcpy(out.pixels.data() + static_cast<std::size_t>(y) * out.width * 3, image.constScanLine(y), out.width * 3);
    return out;
}

// 0/1 per pixel (PNG masks are 0 / 255).
inline std::vector<std::uint8_t> read_fixture_mask(const std::filesystem::path& path) {
    QImage image(QString::fromStdString(path.string()));
    if (image.isNull()) throw std::runtime_error("cannot read " + path.string());
    image = image.convertToFormat(QImage::Format_Grayscale8);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(image.width()) * image.height());
    for (int y = 0; y < image.height(); ++y) {
        const uchar* row = image.constScanLine(y);
        for (int x = 0; x < image.width(); ++x) out[static_cast<std::size_t>(y) * image.width() + x] = row[x] > 127 ? 1 : 0;
    }
    return out;
}

}  // namespace samlabel::engine::testing
