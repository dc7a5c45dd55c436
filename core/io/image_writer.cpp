#include "core/io/image_writer.h"

#include "core/annotation/atomic_file.h"
#include "core/io/utf8_path.h"

#include <opencv2/imgcodecs.hpp>

#include <stdexcept>
#include <string_view>
#include <vector>

namespace samlabel::io {

void write_png_file(const std::filesystem::path& path, const cv::Mat& image) {
    std::vector<unsigned char> bytes;
    if (image.empty() || !cv::imencode(".png", image, bytes)) throw std::runtime_error(path_to_utf8(path) + ": PNG encoding failed");
    annotation::write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace samlabel::io
