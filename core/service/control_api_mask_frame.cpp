#include "core/service/control_api_mask_frame.h"

#include "core/service/mask_bits.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <bit>
#include <cstring>

namespace samlabel::service::wire {

namespace {

constexpr char kMagic[4] = {'S', 'L', 'M', '1'};
constexpr qsizetype kPrefixBytes = 8;
// A mask goes as runs when they take at most 1/kRunsAtMostBitsOver of its bits.
constexpr std::size_t kRunsAtMostBitsOver = 8;
// The largest mask a runs block may describe: above the image reader's
// 200 MP default limit (io::ImageReadOptions::max_pixels), below 1 GB a mask.
constexpr std::size_t kMaxRunsMaskPixels = std::size_t(1) << 28;

// How many runs a mask packed as bits has: one more than its changes, counted
// 64 pixels a step. Cheaper than encoding runs that may not pay, once popcount
// is one instruction: without it (x86-64's baseline) counting took as long as
// packing, so the x86 build keeps a POPCNT clone picked at load time.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(_WIN32)
__attribute__((target_clones("popcnt", "default")))
#endif
std::size_t count_runs(const std::uint8_t* bits, std::size_t pixels) {
    std::size_t changes = 0;
    std::uint64_t previous_bit = 0;
    const std::size_t words = pixels / 64;
    for (std::size_t w = 0; w < words; ++w) {
        std::uint64_t word;
        std::memcpy(&word, bits + 8 * w, 8);
        changes += std::size_t(std::popcount(word ^ ((word << 1) | previous_bit)));
        previous_bit = word >> 63;
    }
    if (const std::size_t rest = pixels - 64 * words) {
        std::uint64_t word = 0;
        std::memcpy(&word, bits + 8 * words, packed_mask_bytes(rest));
        changes += std::size_t(std::popcount((word ^ ((word << 1) | previous_bit)) & ((std::uint64_t(1) << rest) - 1)));
    }
    return changes + 1;
}

// The runs of a mask packed as bits (pack_mask_bits), as varints at `out`; the
// number of bytes written, or 0 once they would pass `limit` (`out` holds
// limit + 10 bytes). Works on 64 pixels a step: a run ends where a bit
// differs from the one before it.
std::size_t encode_runs(const std::uint8_t* bits, std::size_t pixels, std::size_t limit, std::uint8_t* out) {
    std::uint8_t* const begin = out;
    std::uint8_t* const stop = out + limit;
    std::size_t run_start = 0;
    std::uint64_t previous_bit = 0;  // the pixel before the word (0: the first run counts 0s)
    const std::size_t words = pixels / 64;
    auto put = [&](std::size_t value) {
        while (value >= 0x80) {
            *out++ = std::uint8_t(value | 0x80);
            value >>= 7;
        }
        *out++ = std::uint8_t(value);
    };
    auto flips_in = [&](std::uint64_t word, std::size_t base, std::size_t count) {
        // Bit k set where pixel k differs from pixel k - 1.
        std::uint64_t changes = word ^ ((word << 1) | previous_bit);
        if (count < 64) changes &= (std::uint64_t(1) << count) - 1;
        while (changes) {
            const std::size_t at = base + std::size_t(std::countr_zero(changes));
            put(at - run_start);
            run_start = at;
            if (out > stop) return false;
            changes &= changes - 1;
        }
        previous_bit = (word >> (count - 1)) & 1;
        return true;
    };
    for (std::size_t w = 0; w < words; ++w) {
        std::uint64_t word;
        std::memcpy(&word, bits + 8 * w, 8);  // little-endian: pixel 64w + k in bit k
        if (!flips_in(word, 64 * w, 64)) return 0;
    }
    if (const std::size_t rest = pixels - 64 * words) {
        std::uint64_t word = 0;
        std::memcpy(&word, bits + 8 * words, packed_mask_bytes(rest));
        if (!flips_in(word, 64 * words, rest)) return 0;
    }
    put(pixels - run_start);
    return out > stop ? 0 : std::size_t(out - begin);
}

void put_uint32_le(std::uint32_t value, char* at) {
    for (int k = 0; k < 4; ++k) at[k] = char((value >> (8 * k)) & 0xff);
}

void put_block_header(char kind, std::uint32_t length, char* at) {
    at[0] = kind;
    put_uint32_le(length, at + 1);
}

// A frame of `bytes` bytes after the JSON, the magic, the JSON's length and
// the JSON written; the masks' bytes start at kPrefixBytes + text.size().
QByteArray frame_with_json(const QByteArray& text, qsizetype bytes) {
    QByteArray body(kPrefixBytes + text.size() + bytes, Qt::Uninitialized);
    std::memcpy(body.data(), kMagic, 4);
    put_uint32_le(std::uint32_t(text.size()), body.data() + 4);
    std::memcpy(body.data() + kPrefixBytes, text.constData(), std::size_t(text.size()));
    return body;
}

}  // namespace

QByteArray frame_masks(const QJsonObject& json, const std::vector<const std::vector<std::uint8_t>*>& masks,
                       MaskFrameCoding coding) {
    const QByteArray text = QJsonDocument(json).toJson(QJsonDocument::Compact);
    std::vector<std::uint8_t> runs;
    if (coding == MaskFrameCoding::Blocks) {
        // Sized once for the worst case (every mask as bits), cut to size at the end.
        qsizetype most = 0;
        for (const auto* m : masks) most += 5 + qsizetype(packed_mask_bytes(m->size())) + 10;
        QByteArray body = frame_with_json(text, most);
        char* out = body.data();
        qsizetype at = kPrefixBytes + text.size();
        for (const auto* m : masks) {
            // The bits go where a 'b' block's would; runs, when they pay, replace them.
            const std::size_t bits_bytes = packed_mask_bytes(m->size());
            auto* bits = reinterpret_cast<std::uint8_t*>(out + at + 5);
            pack_mask_bits(m->data(), m->size(), bits);
            // Runs only when they are much smaller than the bits: writing a
            // run back is a memset call, so many short runs unpack slower
            // than bits do (measured: runs averaging 37 pixels lost).
            const std::size_t limit = bits_bytes / kRunsAtMostBitsOver;
            std::size_t used = 0;
            if (count_runs(bits, m->size()) <= limit) {  // each run takes at least a byte
                runs.resize(limit + 10);
                used = encode_runs(bits, m->size(), limit, runs.data());
            }
            if (used) {
                put_block_header('r', std::uint32_t(used), out + at);
                std::memcpy(out + at + 5, runs.data(), used);
                at += 5 + qsizetype(used);
            } else {
                put_block_header('b', std::uint32_t(bits_bytes), out + at);
                at += 5 + qsizetype(bits_bytes);
            }
        }
        body.truncate(at);
        return body;
    }
    std::size_t bits_bytes = 0;
    for (const auto* m : masks) bits_bytes += packed_mask_bytes(m->size());
    QByteArray body = frame_with_json(text, qsizetype(bits_bytes));
    auto* bits = reinterpret_cast<std::uint8_t*>(body.data() + kPrefixBytes + text.size());
    for (const auto* m : masks) {
        pack_mask_bits(m->data(), m->size(), bits);
        bits += packed_mask_bytes(m->size());
    }
    return body;
}

std::optional<MaskFrame> unframe_masks(const QByteArray& body) {
    return unframe_masks(body, 0);
}

std::optional<MaskFrame> unframe_masks(const QByteArray& bytes, qsizetype start) {
    if (start < 0 || start > bytes.size()) return std::nullopt;
    const qsizetype size = bytes.size() - start;
    const char* frame = bytes.constData() + start;
    if (size < kPrefixBytes || std::memcmp(frame, kMagic, 4) != 0) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(frame) + 4;
    const qsizetype length = qsizetype(std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24);
    if (length > size - kPrefixBytes) return std::nullopt;
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromRawData(frame + kPrefixBytes, length), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) return std::nullopt;
    return MaskFrame{doc.object(), bytes, start + kPrefixBytes + length};
}

bool unpack_mask(const QByteArray& body, qsizetype bits_offset, std::size_t pixels, std::size_t index, std::vector<std::uint8_t>* mask) {
    const std::size_t bytes = packed_mask_bytes(pixels);
    if (bits_offset < 0 || bits_offset > body.size() || (std::size_t(body.size() - bits_offset)) / (bytes ? bytes : 1) <= index)
        return false;
    const auto* in = reinterpret_cast<const std::uint8_t*>(body.constData() + bits_offset) + index * bytes;
    unpack_mask_bits(in, pixels, mask);
    return true;
}

bool unpack_mask_block(const QByteArray& body, qsizetype* offset, std::size_t pixels, std::vector<std::uint8_t>* mask,
                       QString* error) {
    auto fail = [error](const QString& why) {
        if (error) *error = why;
        return false;
    };
    if (*offset < 0 || body.size() - *offset < 5) return fail(QStringLiteral("the answer ends before the mask's block"));
    const auto* at = reinterpret_cast<const std::uint8_t*>(body.constData() + *offset);
    const char kind = char(at[0]);
    const std::uint32_t length = std::uint32_t(at[1]) | std::uint32_t(at[2]) << 8 | std::uint32_t(at[3]) << 16 | std::uint32_t(at[4]) << 24;
    if (qint64(length) > qint64(body.size() - *offset - 5)) return fail(QStringLiteral("the mask's block is cut short"));
    const std::uint8_t* in = at + 5;
    const std::uint8_t* end = in + length;
    if (kind == 'b') {
        if (length != packed_mask_bytes(pixels)) return fail(QStringLiteral("the mask's bits are not %1 pixels").arg(pixels));
        unpack_mask_bits(in, pixels, mask);
    } else if (kind == 'r') {
        // A few bytes of runs can claim any size: past what any image samlabel
        // reads could be, refuse instead of allocating what a hostile server asks.
        if (pixels > kMaxRunsMaskPixels)
            return fail(QStringLiteral("a mask of %1 pixels is past the limit of %2").arg(pixels).arg(kMaxRunsMaskPixels));
        mask->assign(pixels, 0);
        std::size_t done = 0;
        bool ones = false;
        while (in < end) {
            std::uint64_t run = 0;
            int shift = 0;
            for (;;) {
                if (in == end || shift > 56) return fail(QStringLiteral("a run length of the mask is malformed"));
                const std::uint8_t byte = *in++;
                run |= std::uint64_t(byte & 0x7f) << shift;
                shift += 7;
                if (!(byte & 0x80)) break;
            }
            if (run > pixels - done) return fail(QStringLiteral("the mask's runs cover more than its %1 pixels").arg(pixels));
            if (ones) std::memset(mask->data() + done, 1, std::size_t(run));
            done += std::size_t(run);
            ones = !ones;
        }
        if (done != pixels) return fail(QStringLiteral("the mask's runs cover %1 of its %2 pixels").arg(done).arg(pixels));
    } else {
        return fail(QStringLiteral("the mask's block is of an unknown kind"));
    }
    *offset += 5 + qsizetype(length);
    return true;
}

}  // namespace samlabel::service::wire
