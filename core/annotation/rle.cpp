#include "core/annotation/rle.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>

namespace samlabel::annotation {

RleMask encode_rle(const cv::Mat& mask) {
    if (mask.empty()) throw RleError("encode_rle: the mask is empty");
    if (mask.type() != CV_8UC1) throw RleError("encode_rle: the mask must be CV_8UC1");
    RleMask rle;
    rle.width = mask.cols;
    rle.height = mask.rows;
    // Runs are built from segments; a segment of the current value extends the
    // current run, otherwise it starts the next one. counts[0] is the zero run.
    rle.counts.push_back(0);
    bool foreground = false;
    auto feed = [&](bool value, std::uint64_t length) {
        if (length == 0) return;
        if (value != foreground) {
            rle.counts.push_back(0);
            foreground = value;
        }
        rle.counts.back() += static_cast<std::uint32_t>(length);
    };
    // Only the foreground's bounding box is transposed and scanned; the zeros
    // around it are added arithmetically. Instance masks are usually a small
    // part of the image, so this is several times faster than a full pass.
    const cv::Rect box = cv::boundingRect(mask);  // of the non-zero pixels
    const std::uint64_t h = static_cast<std::uint64_t>(mask.rows);
    if (box.empty()) {
        feed(false, h * static_cast<std::uint64_t>(mask.cols));
        return rle;
    }
    cv::Mat binary, columns;
    cv::compare(mask(box), 0, binary, cv::CMP_NE);  // 0/255
    cv::transpose(binary, columns);                 // one row per image column of the box
    feed(false, static_cast<std::uint64_t>(box.x) * h);
    for (int c = 0; c < columns.rows; ++c) {
        feed(false, static_cast<std::uint64_t>(box.y));
        const std::uint8_t* p = columns.ptr<std::uint8_t>(c);
        const std::uint8_t* const end = p + columns.cols;
        while (p < end) {
            // The run of the current byte value ends at the next byte of the other value.
            const bool value = *p != 0;
            const void* hit = std::memchr(p, value ? 0 : 255, static_cast<std::size_t>(end - p));
            const std::uint8_t* q = hit ? static_cast<const std::uint8_t*>(hit) : end;
            feed(value, static_cast<std::uint64_t>(q - p));
            p = q;
        }
        feed(false, h - static_cast<std::uint64_t>(box.y + box.height));
    }
    feed(false, static_cast<std::uint64_t>(mask.cols - box.x - box.width) * h);
    return rle;
}

std::string rle_validation_error(const RleMask& rle) {
    if (rle.width < 0 || rle.height < 0)
        return "negative size " + std::to_string(rle.width) + "x" + std::to_string(rle.height);
    std::uint64_t sum = 0;
    for (std::uint32_t c : rle.counts) sum += c;
    const std::uint64_t expected = std::uint64_t(rle.width) * std::uint64_t(rle.height);
    if (sum != expected)
        return "counts sum to " + std::to_string(sum) + " but the mask has " + std::to_string(rle.width) + "x" +
               std::to_string(rle.height) + " = " + std::to_string(expected) + " pixels";
    return {};
}

cv::Mat decode_rle(const RleMask& rle, std::uint8_t foreground) {
    if (const std::string why = rle_validation_error(rle); !why.empty()) throw RleError("decode_rle: " + why);
    // Decode into the transposed layout (one row per image column), then transpose back.
    cv::Mat columns(rle.width, rle.height, CV_8UC1, cv::Scalar(0));
    if (columns.empty()) return cv::Mat(rle.height, rle.width, CV_8UC1);
    std::uint8_t* data = columns.ptr<std::uint8_t>(0);  // continuous: freshly allocated
    std::uint64_t pos = 0;
    bool value = false;
    for (std::uint32_t c : rle.counts) {
        if (value) std::fill(data + pos, data + pos + c, foreground);
        pos += c;
        value = !value;
    }
    cv::Mat mask;
    cv::transpose(columns, mask);
    return mask;
}

std::uint64_t rle_area(const RleMask& rle) {
    std::uint64_t area = 0;
    for (std::size_t i = 1; i < rle.counts.size(); i += 2) area += rle.counts[i];
    return area;
}

cv::Rect rle_bbox(const RleMask& rle) {
    if (rle.height <= 0) return {};
    const std::uint64_t h = std::uint64_t(rle.height);
    std::uint64_t pos = 0;
    bool any = false;
    std::uint64_t x0 = 0, x1 = 0, y0 = h, y1 = 0;
    for (std::size_t i = 0; i < rle.counts.size(); ++i) {
        const std::uint64_t len = rle.counts[i];
        if (i % 2 == 1 && len > 0) {
            const std::uint64_t first = pos, last = pos + len - 1;
            const std::uint64_t xa = first / h, xb = last / h;
            if (!any) x0 = xa;
            any = true;
            x1 = xb;
            if (xa != xb) {  // the run wraps over a column end: rows 0..h-1 are covered
                y0 = 0;
                y1 = h - 1;
            } else {
                y0 = std::min(y0, first % h);
                y1 = std::max(y1, last % h);
            }
        }
        pos += len;
    }
    if (!any) return {};
    return cv::Rect(int(x0), int(y0), int(x1 - x0 + 1), int(y1 - y0 + 1));
}

bool rle_contains(const RleMask& rle, int x, int y) {
    if (x < 0 || y < 0 || x >= rle.width || y >= rle.height) return false;
    const std::uint64_t target = std::uint64_t(x) * std::uint64_t(rle.height) + std::uint64_t(y);
    std::uint64_t pos = 0;
    for (std::size_t i = 0; i < rle.counts.size(); ++i) {
        pos += rle.counts[i];
        if (target < pos) return i % 2 == 1;
    }
    return false;
}

// pycocotools maskApi.c rleToString: for i >= 2 the value is counts[i] - counts[i-2];
// 5 bits per char, bit 0x20 = more chars follow, +48 to make it printable; sign
// extension from bit 0x10 of the last group.
std::string rle_to_coco_string(const RleMask& rle) {
    std::string out;
    for (std::size_t i = 0; i < rle.counts.size(); ++i) {
        long long x = static_cast<long long>(rle.counts[i]);
        if (i > 2) x -= static_cast<long long>(rle.counts[i - 2]);
        bool more = true;
        while (more) {
            long long c = x & 0x1f;
            x >>= 5;  // arithmetic shift: keeps the sign, as in the C code
            more = (c & 0x10) ? x != -1 : x != 0;
            if (more) c |= 0x20;
            out.push_back(static_cast<char>(c + 48));
        }
    }
    return out;
}

RleMask rle_from_coco_string(std::string_view text, int width, int height) {
    if (width < 0 || height < 0) throw RleError("COCO RLE: negative size");
    RleMask rle;
    rle.width = width;
    rle.height = height;
    std::size_t p = 0;
    while (p < text.size()) {
        long long x = 0;
        int k = 0;
        bool more = true;
        while (more) {
            if (p >= text.size()) throw RleError("COCO RLE: counts string ends inside a number");
            const int ch = static_cast<unsigned char>(text[p]);
            if (ch < 48 || ch > 48 + 63) throw RleError("COCO RLE: invalid character in counts string");
            const long long c = ch - 48;
            if (k >= 13) throw RleError("COCO RLE: number too long in counts string");
            x |= (c & 0x1f) << (5 * k);
            more = (c & 0x20) != 0;
            ++p;
            ++k;
            if (!more && (c & 0x10)) x |= -1LL << (5 * k);
        }
        const std::size_t m = rle.counts.size();
        if (m > 2) x += static_cast<long long>(rle.counts[m - 2]);
        if (x < 0 || x > 0xffffffffLL) throw RleError("COCO RLE: count out of range");
        rle.counts.push_back(static_cast<std::uint32_t>(x));
    }
    if (const std::string why = rle_validation_error(rle); !why.empty()) throw RleError("COCO RLE: " + why);
    return rle;
}

}  // namespace samlabel::annotation
