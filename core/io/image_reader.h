#pragma once
// Reading images for display and annotation, safely:
//  * by bytes (std::ifstream on a std::filesystem::path, then cv::imdecode), so
//    paths with spaces and non-ASCII letters work on every OS;
//  * EXIF orientation applied (the frame Ultralytics and cv::imread use), so
//    annotations are in the orientation training tools see;
//  * grayscale, 16-bit and alpha images converted to an 8-bit BGR display
//    image, the original channel count and bit depth reported;
//  * the pixel count checked from the file header BEFORE decoding;
//  * every failure is an error string naming the file and the problem; no
//    exception escapes.
#include <opencv2/core.hpp>

#include "core/io/utf8_path.h"  // path_to_utf8 / path_from_utf8, used with every image path

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace samlabel::io {

enum class ImageFormat { Unknown = 0, Jpeg, Png, Bmp, Tiff, WebP };
const char* image_format_name(ImageFormat format);  // "JPEG", "PNG", ...

// True for .jpg .jpeg .png .bmp .tif .tiff .webp in any letter case.
bool is_supported_image_extension(const std::filesystem::path& path);

// What the header says, without decoding pixels.
struct ImageHeaderInfo {
    ImageFormat format = ImageFormat::Unknown;
    int stored_width = 0;    // as stored in the file
    int stored_height = 0;
    int exif_orientation = 1;  // 1..8 (1 = as stored); from JPEG APP1 / TIFF IFD0 / WebP EXIF
    int width = 0;            // after EXIF orientation (swapped for 5..8)
    int height = 0;
    int channels = 0;         // 1, 2 (gray+alpha), 3, 4; 0 if the header does not say
    int bit_depth = 0;        // bits per channel; 0 if the header does not say
    std::uint64_t pixel_count() const { return std::uint64_t(stored_width) * std::uint64_t(stored_height); }
};

// Reads only the first bytes of the file (plus the EXIF block for JPEG).
// nullopt if unreadable or not a recognised/valid header.
std::optional<ImageHeaderInfo> read_image_header(const std::filesystem::path& path);
// Same, from bytes already in memory (the whole file or at least its header).
std::optional<ImageHeaderInfo> parse_image_header(std::span<const std::uint8_t> bytes);

enum class AlphaBackground { Checkerboard = 1, White };

struct ImageReadOptions {
    std::uint64_t max_pixels = 200'000'000;  // refused above this, before decoding
    // Orientation as cv::imread / PIL's exif_transpose. For TIFF the decoder
    // itself orients the image (like cv::imread), so this cannot switch it off.
    bool apply_exif_orientation = true;
    AlphaBackground alpha_background = AlphaBackground::Checkerboard;
};

struct ImageReadResult {
    cv::Mat bgr8;               // CV_8UC3 display image, EXIF-corrected; empty on error
    ImageFormat format = ImageFormat::Unknown;
    int width = 0;              // of bgr8 (EXIF-corrected)
    int height = 0;
    int channels = 0;           // of the file: 1 gray, 2 gray+alpha, 3 colour, 4 colour+alpha
    int bit_depth = 0;          // of the file: 8 or 16 (32 for float TIFF)
    int exif_orientation = 1;   // the orientation that was applied (1 = none)
    bool has_alpha() const { return channels == 2 || channels == 4; }
    // "<file>: <problem>", empty on success.
    std::string error;
    bool ok() const { return error.empty(); }
};

ImageReadResult read_image(const std::filesystem::path& path, const ImageReadOptions& options = {});
// Decodes bytes already in memory; `name_for_errors` prefixes error messages.
ImageReadResult decode_image(std::span<const std::uint8_t> bytes, const std::string& name_for_errors,
                             const ImageReadOptions& options = {});

// Rotates/flips an image from EXIF orientation 1..8 to the upright frame
// (same result as PIL's ImageOps.exif_transpose). Orientation 1 or invalid
// values return the image unchanged.
cv::Mat apply_exif_orientation(const cv::Mat& image, int orientation);

}  // namespace samlabel::io
