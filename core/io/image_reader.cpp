#include "core/io/image_reader.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>

namespace samlabel::io {
namespace fs = std::filesystem;

namespace {

using Bytes = std::span<const std::uint8_t>;

// ---- little helpers -------------------------------------------------------------

std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) { return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3]; }
std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) { return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24); }
std::uint32_t le24(const std::uint8_t* p) { return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16); }

bool starts_with(Bytes b, std::string_view magic, std::size_t at = 0) {
    return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

// Header parsing outcome: NeedMore means the bytes ended before the answer
// (read_image_header then reads more of the file).
enum class Parse { Ok, NeedMore, Invalid };

ImageFormat sniff_format(Bytes b) {
    if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::Jpeg;
    if (starts_with(b, "\x89PNG\r\n\x1a\n")) return ImageFormat::Png;
    if (starts_with(b, "BM")) return ImageFormat::Bmp;
    if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4))) return ImageFormat::Tiff;
    if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return ImageFormat::WebP;
    return ImageFormat::Unknown;
}

// ---- EXIF / TIFF IFD ------------------------------------------------------------

struct TiffReader {
    Bytes b;
    bool little = true;
    bool ok(std::size_t off, std::size_t n) const { return off <= b.size() && n <= b.size() - off; }
    std::uint16_t u16(std::size_t off) const { return little ? le16(b.data() + off) : be16(b.data() + off); }
    std::uint32_t u32(std::size_t off) const { return little ? le32(b.data() + off) : be32(b.data() + off); }
};

struct TiffTags {
    std::uint32_t width = 0, height = 0;
    int orientation = 1, bits = 0, samples = 0;
};

// Reads IFD0 of a TIFF structure (a TIFF file, or the TIFF block of an EXIF
// segment). Values of SHORT/LONG type stored inline in the entry.
Parse read_ifd0(Bytes tiff, TiffTags& tags) {
    if (tiff.size() < 8) return Parse::NeedMore;
    TiffReader r{tiff};
    if (tiff[0] == 'I' && tiff[1] == 'I') r.little = true;
    else if (tiff[0] == 'M' && tiff[1] == 'M') r.little = false;
    else return Parse::Invalid;
    if (r.u16(2) != 42) return Parse::Invalid;  // 43 = BigTIFF, not supported
    const std::uint32_t ifd = r.u32(4);
    if (ifd < 8) return Parse::Invalid;
    if (!r.ok(ifd, 2)) return Parse::NeedMore;
    const std::uint16_t count = r.u16(ifd);
    if (!r.ok(ifd + 2, std::size_t(count) * 12)) return Parse::NeedMore;
    for (std::uint16_t i = 0; i < count; ++i) {
        const std::size_t e = ifd + 2 + std::size_t(i) * 12;
        const std::uint16_t tag = r.u16(e), type = r.u16(e + 2);
        const std::uint32_t n = r.u32(e + 4);
        auto value = [&]() -> std::uint32_t {
            if (type == 3) return r.u16(e + 8);  // SHORT (first value if several are inline)
            if (type == 4) return r.u32(e + 8);  // LONG
            return 0;
        };
        switch (tag) {
            case 256: tags.width = value(); break;
            case 257: tags.height = value(); break;
            case 258:  // BitsPerSample: inline for 1-2 SHORTs, else an offset to the array
                if (type == 3 && n > 2) {
                    const std::uint32_t off = r.u32(e + 8);
                    tags.bits = r.ok(off, 2) ? r.u16(off) : 0;
                } else {
                    tags.bits = int(value());
                }
                break;
            case 274: tags.orientation = int(value()); break;
            case 277: tags.samples = int(value()); break;
            default: break;
        }
    }
    if (tags.orientation < 1 || tags.orientation > 8) tags.orientation = 1;
    return Parse::Ok;
}

int exif_orientation_of(Bytes exif) {
    if (starts_with(exif, std::string_view("Exif\0\0", 6))) exif = exif.subspan(6);
    TiffTags tags;
    return read_ifd0(exif, tags) == Parse::Ok ? tags.orientation : 1;
}

// ---- per-format headers --------------------------------------------------------------

Parse parse_png(Bytes b, ImageHeaderInfo& info) {
    if (b.size() < 33) return Parse::NeedMore;
    if (!starts_with(b, "IHDR", 12)) return Parse::Invalid;
    info.stored_width = int(std::min<std::uint32_t>(be32(b.data() + 16), 0x7fffffff));
    info.stored_height = int(std::min<std::uint32_t>(be32(b.data() + 20), 0x7fffffff));
    info.bit_depth = b[24];
    switch (b[25]) {
        case 0: info.channels = 1; break;
        case 2: info.channels = 3; break;
        case 3: info.channels = 3; info.bit_depth = 8; break;  // palette -> 8-bit colour
        case 4: info.channels = 2; break;
        case 6: info.channels = 4; break;
        default: return Parse::Invalid;
    }
    // Chunks up to the image data: eXIf (orientation), tRNS (palette alpha).
    std::size_t p = 8;
    while (true) {
        if (p + 8 > b.size()) return Parse::Ok;  // header known; orientation searched as far as we have
        const std::uint32_t len = be32(b.data() + p);
        const std::string_view type(reinterpret_cast<const char*>(b.data() + p + 4), 4);
        if (type == "IDAT" || type == "IEND") return Parse::Ok;
        if (p + 12 + std::size_t(len) > b.size()) return type == "eXIf" ? Parse::NeedMore : Parse::Ok;
        if (type == "eXIf") info.exif_orientation = exif_orientation_of(b.subspan(p + 8, len));
        if (type == "tRNS" && b[25] == 3) info.channels = 4;
        p += 12 + std::size_t(len);
    }
}

Parse parse_jpeg(Bytes b, ImageHeaderInfo& info, std::size_t* scan_start = nullptr) {
    std::size_t p = 2;
    bool have_size = false;
    while (true) {
        if (p + 4 > b.size()) return Parse::NeedMore;
        if (b[p] != 0xFF) return Parse::Invalid;
        const std::uint8_t marker = b[p + 1];
        if (marker == 0xFF) { ++p; continue; }  // fill byte
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { p += 2; continue; }
        if (marker == 0xD9) return Parse::Invalid;  // EOI before any scan
        const std::size_t len = be16(b.data() + p + 2);
        if (len < 2) return Parse::Invalid;
        if (marker == 0xDA) {  // start of scan: the header is over
            if (scan_start) *scan_start = p;
            return have_size ? Parse::Ok : Parse::Invalid;
        }
        if (p + 2 + len > b.size()) return Parse::NeedMore;
        const std::uint8_t* seg = b.data() + p + 4;
        const std::size_t seg_len = len - 2;
        const bool sof = (marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof && !have_size) {
            if (seg_len < 6) return Parse::Invalid;
            info.bit_depth = seg[0];
            info.stored_height = be16(seg + 1);
            info.stored_width = be16(seg + 3);
            info.channels = seg[5] == 1 ? 1 : 3;  // 4 components (CMYK) decode to colour
            have_size = true;
        } else if (marker == 0xE1 && seg_len > 6 && std::memcmp(seg, "Exif\0\0", 6) == 0 && info.exif_orientation == 1) {
            info.exif_orientation = exif_orientation_of(Bytes(seg, seg_len));
        }
        p += 2 + len;
    }
}

Parse parse_bmp(Bytes b, ImageHeaderInfo& info) {
    if (b.size() < 26) return Parse::NeedMore;
    const std::uint32_t dib = le32(b.data() + 14);
    if (dib == 12) {
        info.stored_width = le16(b.data() + 18);
        info.stored_height = le16(b.data() + 20);
        info.bit_depth = 8;
        info.channels = le16(b.data() + 24) == 32 ? 4 : 3;
        return Parse::Ok;
    }
    if (dib < 40) return Parse::Invalid;
    if (b.size() < 30) return Parse::NeedMore;
    const auto w = static_cast<std::int32_t>(le32(b.data() + 18));
    const auto h = static_cast<std::int32_t>(le32(b.data() + 22));
    if (w <= 0 || h == 0 || h == INT32_MIN) return Parse::Invalid;
    info.stored_width = w;
    info.stored_height = h < 0 ? -h : h;  // negative height = top-down rows
    const int bpp = le16(b.data() + 28);
    info.bit_depth = 8;
    info.channels = bpp == 32 ? 4 : 3;
    return Parse::Ok;
}

Parse parse_tiff(Bytes b, ImageHeaderInfo& info) {
    TiffTags tags;
    const Parse r = read_ifd0(b, tags);
    if (r != Parse::Ok) return r;
    if (tags.width == 0 || tags.height == 0) return Parse::Invalid;
    info.stored_width = int(std::min<std::uint32_t>(tags.width, 0x7fffffff));
    info.stored_height = int(std::min<std::uint32_t>(tags.height, 0x7fffffff));
    info.exif_orientation = tags.orientation;
    info.bit_depth = tags.bits ? tags.bits : 1;  // TIFF default BitsPerSample is 1
    info.channels = tags.samples ? tags.samples : 1;
    return Parse::Ok;
}

Parse parse_webp(Bytes b, ImageHeaderInfo& info) {
    if (b.size() < 30) return Parse::NeedMore;
    const std::string_view first(reinterpret_cast<const char*>(b.data() + 12), 4);
    const std::uint8_t* d = b.data() + 20;
    info.bit_depth = 8;
    bool want_exif = false;
    if (first == "VP8 ") {
        if (d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a) return Parse::Invalid;
        info.stored_width = le16(d + 6) & 0x3fff;
        info.stored_height = le16(d + 8) & 0x3fff;
        info.channels = 3;
    } else if (first == "VP8L") {
        if (d[0] != 0x2f) return Parse::Invalid;
        const std::uint32_t bits = le32(d + 1);
        info.stored_width = int(bits & 0x3fff) + 1;
        info.stored_height = int((bits >> 14) & 0x3fff) + 1;
        info.channels = (bits >> 28) & 1 ? 4 : 3;
    } else if (first == "VP8X") {
        const std::uint8_t flags = d[0];
        info.stored_width = int(le24(d + 4)) + 1;
        info.stored_height = int(le24(d + 7)) + 1;
        info.channels = (flags & 0x10) ? 4 : 3;
        want_exif = (flags & 0x08) != 0;
    } else {
        return Parse::Invalid;
    }
    if (!want_exif) return Parse::Ok;
    // The EXIF chunk usually follows the image data: walk the chunks.
    std::size_t p = 12;
    while (true) {
        if (p + 8 > b.size()) return Parse::NeedMore;
        const std::uint32_t len = le32(b.data() + p + 4);
        const std::string_view type(reinterpret_cast<const char*>(b.data() + p), 4);
        if (type == "EXIF") {
            if (p + 8 + std::size_t(len) > b.size()) return Parse::NeedMore;
            info.exif_orientation = exif_orientation_of(b.subspan(p + 8, len));
            return Parse::Ok;
        }
        p += 8 + std::size_t(len) + (len & 1);
    }
}

Parse parse_header(Bytes b, ImageHeaderInfo& info) {
    info = {};
    info.format = sniff_format(b);
    Parse r = Parse::Invalid;
    switch (info.format) {
        case ImageFormat::Jpeg: r = parse_jpeg(b, info); break;
        case ImageFormat::Png: r = parse_png(b, info); break;
        case ImageFormat::Bmp: r = parse_bmp(b, info); break;
        case ImageFormat::Tiff: r = parse_tiff(b, info); break;
        case ImageFormat::WebP: r = parse_webp(b, info); break;
        case ImageFormat::Unknown: return b.size() < 12 ? Parse::NeedMore : Parse::Invalid;
    }
    if (r != Parse::Ok) return r;
    if (info.stored_width <= 0 || info.stored_height <= 0) return Parse::Invalid;
    const bool swap = info.exif_orientation >= 5;
    info.width = swap ? info.stored_height : info.stored_width;
    info.height = swap ? info.stored_width : info.stored_height;
    return Parse::Ok;
}

// ---- display conversion ------------------------------------------------------------------

cv::Mat to_8bit(const cv::Mat& m) {
    switch (m.depth()) {
        case CV_8U: return m;
        case CV_16U: {  // full range, as cv::imread(IMREAD_COLOR) does, so we show what training tools see
            cv::Mat out;
            m.convertTo(out, CV_8U, 1.0 / 257.0);
            return out;
        }
        default: {  // float / signed TIFFs: stretch the actual value range
            cv::Mat flat = m.reshape(1);
            double lo = 0, hi = 0;
            cv::minMaxLoc(flat, &lo, &hi);
            cv::Mat out;
            const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
            m.convertTo(out, CV_8U, scale, -lo * scale);
            return out;
        }
    }
}

cv::Mat composite_alpha(const cv::Mat& bgra, AlphaBackground background) {
    cv::Mat out(bgra.size(), CV_8UC3);
    constexpr int kCell = 8;  // checkerboard cell size in pixels
    for (int y = 0; y < bgra.rows; ++y) {
        const cv::Vec4b* in = bgra.ptr<cv::Vec4b>(y);
        cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < bgra.cols; ++x) {
            const int bg = background == AlphaBackground::White ? 255 : (((x / kCell) + (y / kCell)) % 2 ? 204 : 255);
            const int a = in[x][3];
            for (int c = 0; c < 3; ++c) o[x][c] = std::uint8_t((in[x][c] * a + bg * (255 - a) + 127) / 255);
        }
    }
    return out;
}

std::string megapixels(std::uint64_t pixels) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f MP", double(pixels) / 1e6);
    return buf;
}

bool read_prefix(const fs::path& path, std::size_t max_bytes, std::vector<std::uint8_t>& out, bool& whole, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        error = fs::exists(path, ec) ? "cannot open the file" : "file not found";
        return false;
    }
    out.resize(max_bytes);
    in.read(reinterpret_cast<char*>(out.data()), std::streamsize(max_bytes));
    if (in.bad()) {
        error = "read error";
        return false;
    }
    out.resize(std::size_t(in.gcount()));
    whole = out.size() < max_bytes || in.peek() == std::char_traits<char>::eof();
    return true;
}

}  // namespace

const char* image_format_name(ImageFormat format) {
    switch (format) {
        case ImageFormat::Jpeg: return "JPEG";
        case ImageFormat::Png: return "PNG";
        case ImageFormat::Bmp: return "BMP";
        case ImageFormat::Tiff: return "TIFF";
        case ImageFormat::WebP: return "WebP";
        case ImageFormat::Unknown: break;
    }
    return "unknown";
}

bool is_supported_image_extension(const fs::path& path) {
    std::string ext = path_to_utf8(path.extension());
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".tif" || ext == ".tiff" || ext == ".webp";
}

std::optional<ImageHeaderInfo> parse_image_header(std::span<const std::uint8_t> bytes) {
    ImageHeaderInfo info;
    if (parse_header(bytes, info) != Parse::Ok) return std::nullopt;
    return info;
}

std::optional<ImageHeaderInfo> read_image_header(const fs::path& path) {
    // Headers are small, but JPEG APP segments (EXIF thumbnails, ICC
    // profiles) or a WebP EXIF chunk after the pixels may push the answer
    // further: grow the prefix until the parser has what it needs.
    std::size_t want = 64 * 1024;
    while (true) {
        std::vector<std::uint8_t> bytes;
        bool whole = false;
        std::string error;
        if (!read_prefix(path, want, bytes, whole, error)) return std::nullopt;
        ImageHeaderInfo info;
        const Parse r = parse_header(bytes, info);
        if (r == Parse::Ok) return info;
        if (r == Parse::Invalid || whole) return std::nullopt;
        want *= 8;
    }
}

cv::Mat apply_exif_orientation(const cv::Mat& image, int orientation) {
    cv::Mat out;
    switch (orientation) {
        case 2: cv::flip(image, out, 1); return out;                              // mirror left-right
        case 3: cv::rotate(image, out, cv::ROTATE_180); return out;
        case 4: cv::flip(image, out, 0); return out;                              // mirror top-bottom
        case 5: cv::transpose(image, out); return out;                            // mirror along the main diagonal
        case 6: cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE); return out;
        case 7: cv::transpose(image, out); cv::rotate(out, out, cv::ROTATE_180); return out;  // anti-diagonal
        case 8: cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE); return out;
        default: return image;
    }
}

ImageReadResult decode_image(std::span<const std::uint8_t> bytes, const std::string& name, const ImageReadOptions& options) {
    ImageReadResult result;
    auto fail = [&](const std::string& problem) {
        result.bgr8.release();
        result.error = name + ": " + problem;
        return result;
    };
    try {
        if (bytes.empty()) return fail("the file is empty");
        ImageHeaderInfo info;
        const Parse parsed = parse_header(bytes, info);
        result.format = info.format;
        if (info.format == ImageFormat::Unknown) return fail("not a supported image (JPEG, PNG, BMP, TIFF or WebP expected)");
        if (parsed == Parse::NeedMore) return fail(std::string("truncated ") + image_format_name(info.format) + " header");
        if (parsed != Parse::Ok) return fail(std::string("corrupt ") + image_format_name(info.format) + " header");
        // Refuse before decoding: a 2 GB allocation must never be attempted.
        if (info.pixel_count() > options.max_pixels)
            return fail(std::to_string(info.stored_width) + "x" + std::to_string(info.stored_height) + " = " + megapixels(info.pixel_count()) +
                        " exceeds the pixel limit of " + megapixels(options.max_pixels) + " (setting); the image was not decoded");
        if (info.format == ImageFormat::Jpeg) {
            // libjpeg decodes a truncated scan "successfully", filling the rest
            // grey; a complete JPEG has an EOI marker after its scan data.
            std::size_t scan = 0;
            parse_jpeg(bytes, info, &scan);
            bool has_eoi = false;
            for (std::size_t i = bytes.size(); i-- > scan + 1;)
                if (bytes[i - 1] == 0xFF && bytes[i] == 0xD9) { has_eoi = true; break; }
            if (!has_eoi) return fail("truncated JPEG (no end-of-image marker after the scan data)");
        }

        // cv::imdecode picks its reader by signature, not by our header check: a
        // damaged file that OpenCV's own reader turns down but that carries "DICM"
        // at byte 128 goes to its DICOM reader (GDCM), which asserts and aborts the
        // app (found by fuzz_image_header: a corrupt WebP).
        if (bytes.size() >= 132 && std::memcmp(bytes.data() + 128, "DICM", 4) == 0)
            return fail(std::string("damaged ") + image_format_name(info.format) + " (a DICOM signature at byte 128)");
        const cv::Mat raw(1, int(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
        // UNCHANGED keeps 16-bit depth and alpha and does NOT apply EXIF (we do,
        // uniformly for every format; OpenCV 4.6 skips WebP's).
        cv::Mat decoded = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
        if (decoded.empty()) return fail(std::string("cannot decode the ") + image_format_name(info.format) + " data (corrupt or truncated file)");
        // OpenCV's TIFF decoder (libtiff's RGBA reader) already returns the
        // image in its tagged orientation, the same layout PIL's exif_transpose
        // gives (tested): apply orientation ourselves for the other formats only.
        const bool decoder_oriented = info.format == ImageFormat::Tiff;
        const int expect_w = decoder_oriented ? info.width : info.stored_width;
        const int expect_h = decoder_oriented ? info.height : info.stored_height;
        if (decoded.cols != expect_w || decoded.rows != expect_h)
            return fail("decoded size " + std::to_string(decoded.cols) + "x" + std::to_string(decoded.rows) + " differs from the header's " +
                        std::to_string(expect_w) + "x" + std::to_string(expect_h));

        result.bit_depth = decoded.depth() == CV_8U ? 8 : decoded.depth() == CV_16U || decoded.depth() == CV_16S ? 16 : 32;
        result.channels = info.channels > 0 ? info.channels : decoded.channels();
        if (decoded.channels() == 1 && result.channels > 1) result.channels = 1;  // e.g. gray palette BMP

        cv::Mat eight = to_8bit(decoded);
        cv::Mat bgr;
        switch (eight.channels()) {
            case 1: cv::cvtColor(eight, bgr, cv::COLOR_GRAY2BGR); break;
            case 3: bgr = eight; break;
            case 4:
                if (result.channels == 3) result.channels = 4;
                bgr = composite_alpha(eight, options.alpha_background);
                break;
            default: return fail("unsupported channel count " + std::to_string(eight.channels()));
        }
        if (decoder_oriented) {
            result.exif_orientation = info.exif_orientation;
        } else if (options.apply_exif_orientation && info.exif_orientation != 1) {
            bgr = apply_exif_orientation(bgr, info.exif_orientation);
            result.exif_orientation = info.exif_orientation;
        }
        result.bgr8 = bgr.isContinuous() && bgr.data != eight.data ? bgr : bgr.clone();
        result.width = result.bgr8.cols;
        result.height = result.bgr8.rows;
        return result;
    } catch (const cv::Exception& e) {
        return fail(std::string("decoder error: ") + e.err);
    } catch (const std::bad_alloc&) {
        return fail("out of memory while decoding");
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

ImageReadResult read_image(const fs::path& path, const ImageReadOptions& options) {
    const std::string name = path_to_utf8(path);
    try {
        // Check the header from a small prefix first, so an oversized image is
        // refused without reading (let alone decoding) the whole file.
        std::vector<std::uint8_t> head;
        bool whole = false;
        std::string error;
        if (!read_prefix(path, 64 * 1024, head, whole, error)) {
            ImageReadResult r;
            r.error = name + ": " + error;
            return r;
        }
        if (auto info = parse_image_header(head); info && info->pixel_count() > options.max_pixels) return decode_image(head, name, options);
        if (whole) return decode_image(head, name, options);
        std::error_code ec;
        const auto size = fs::file_size(path, ec);
        std::vector<std::uint8_t> bytes;
        if (ec || !read_prefix(path, std::size_t(size) + 1, bytes, whole, error)) {
            ImageReadResult r;
            r.error = name + ": " + (error.empty() ? ec.message() : error);
            return r;
        }
        return decode_image(bytes, name, options);
    } catch (const std::exception& e) {
        ImageReadResult r;
        r.error = name + ": " + e.what();
        return r;
    }
}

}  // namespace samlabel::io
