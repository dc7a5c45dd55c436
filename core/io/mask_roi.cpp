#include "core/io/mask_roi.h"

#include "core/annotation/rle.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace samlabel::io {

MaskRoi decode_rle_roi(const annotation::RleMask& rle, int pad_px) {
    if (const std::string why = annotation::rle_validation_error(rle); !why.empty()) throw annotation::RleError(why);
    const cv::Rect box = annotation::rle_bbox(rle);
    MaskRoi out;
    if (box.width <= 0 || box.height <= 0) return out;
    const std::int64_t height = rle.height;
    // Column-major runs map to contiguous rows of the TRANSPOSED box, so each
    // run piece is one memset; one cv::transpose at the end.
    cv::Mat transposed(box.width + 2 * pad_px, box.height + 2 * pad_px, CV_8UC1, cv::Scalar(0));
    std::int64_t pos = 0;
    bool foreground = false;
    for (const std::uint32_t count : rle.counts) {
        if (foreground) {
            std::int64_t p = pos, n = count;
            while (n > 0) {
                const std::int64_t col = p / height, row = p % height;
                const std::int64_t len = std::min<std::int64_t>(n, height - row);
                // Inside the tight box by construction of rle_bbox.
                unsigned char* dst = transposed.ptr<unsigned char>(static_cast<int>(col - box.x + pad_px));
                std::memset(dst + (row - box.y + pad_px), 255, static_cast<std::size_t>(len));
                p += len;
                n -= len;
            }
        }
        pos += count;
        foreground = !foreground;
    }
    cv::transpose(transposed, out.mask);
    out.origin = cv::Point(box.x - pad_px, box.y - pad_px);
    return out;
}

}  // namespace samlabel::io
