#pragma once
// Run-length encoding of binary masks, COCO-compatible:
//  * RleMask: uncompressed counts, column-major (Fortran order), first run is
//    zeros (possibly of length 0), runs alternate 0/1 and sum to width*height.
//  * the compressed "counts" string of pycocotools (maskApi.c rleToString):
//    each count from the fourth on (index > 2, as in maskApi.c) is stored as
//    its difference to the count two before, and written as 5-bit groups with a continuation bit, offset by 48.
#include "core/annotation/annotation_types.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samlabel::annotation {

class RleError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// mask: CV_8UC1, any non-zero pixel is foreground. Throws RleError otherwise.
RleMask encode_rle(const cv::Mat& mask);
// CV_8UC1 of height x width with `foreground` (default 255) where set.
// Throws RleError if the counts do not sum to width*height.
cv::Mat decode_rle(const RleMask& rle, std::uint8_t foreground = 255);

// Empty string if valid, else the reason (negative size, counts sum mismatch).
std::string rle_validation_error(const RleMask& rle);

std::uint64_t rle_area(const RleMask& rle);  // foreground pixels
// Tight pixel box (x, y, width, height) of the foreground, like pycocotools
// toBbox; an all-zero mask gives an empty Rect (0,0,0,0).
cv::Rect rle_bbox(const RleMask& rle);
// Whether pixel (x, y) is foreground; false outside the mask. O(runs), no decode.
bool rle_contains(const RleMask& rle, int x, int y);

// pycocotools' compressed counts string (the "counts" of a COCO RLE dict).
std::string rle_to_coco_string(const RleMask& rle);
// Inverse; throws RleError on malformed text or counts not summing to h*w.
RleMask rle_from_coco_string(std::string_view counts, int width, int height);

}  // namespace samlabel::annotation
