// libFuzzer target: image files (JPEG with EXIF, PNG, BMP, TIFF, WebP) through
// core/io's own header/EXIF parser (parse_image_header) and decode_image, as
// the image list, exports and the control API's uploads read them. Never an
// exception; errors are strings naming the file; the header's pixel limit is
// checked before decoding.
#include "core/io/image_reader.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    if (const auto header = io::parse_image_header(bytes)) {
        if (header->exif_orientation < 1 || header->exif_orientation > 8) fuzz::invariant_failed("EXIF orientation outside 1..8");
        if (header->stored_width < 0 || header->stored_height < 0) fuzz::invariant_failed("a negative size");
    }
    io::ImageReadOptions options;
    options.max_pixels = 4'000'000;  // keeps each input's decode small
    const io::ImageReadResult image = io::decode_image(bytes, "upload.png", options);
    if (image.ok()) {
        if (image.bgr8.empty() || image.bgr8.type() != CV_8UC3) fuzz::invariant_failed("ok() without a BGR image");
        if (image.bgr8.cols != image.width || image.bgr8.rows != image.height) fuzz::invariant_failed("width/height differ from the image");
    } else if (image.error.rfind("upload.png", 0) != 0) {
        fuzz::invariant_failed("the error does not name the file");
    }
    return 0;
}
