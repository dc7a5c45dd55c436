#pragma once
// Decoding only the bounding box of an RLE mask. Exporters polygonise masks
// of full-HD frames; decoding and contour-tracing the whole frame per instance
// costs ~2 MB of writes and a full scan, while an object usually covers a few
// percent of it. The RLE runs give the box without decoding (rle_bbox).
#include "core/annotation/annotation_types.h"

#include <opencv2/core.hpp>

namespace samlabel::io {

struct MaskRoi {
    cv::Mat mask;       // CV_8UC1, 255 = foreground; empty if the mask has no foreground
    cv::Point origin;   // image pixel of mask(0, 0) (may be negative because of the padding)
};

// Decodes the foreground's tight box plus `pad_px` zero pixels on every side
// (findContours wants a background border). Throws annotation::RleError if
// the counts do not sum to width*height.
MaskRoi decode_rle_roi(const annotation::RleMask& rle, int pad_px = 1);

}  // namespace samlabel::io
