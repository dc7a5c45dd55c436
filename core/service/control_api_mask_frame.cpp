#include "core/service/control_api_mask_frame.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <array>
#include <cstring>

namespace samlabel::service::wire {

namespace {

constexpr char kMagic[4] = {'S', 'L', 'M', '1'};
constexpr qsizetype kPrefixBytes = 8;

std::size_t packed_bytes(std::size_t pixels) { return (pixels + 7) / 8; }

// 8 mask bytes (0 or not) -> one byte, pixel k in bit k: fold each byte's bits
// into its bit 0, then one multiply gathers the eight bit 0s into the top byte
// (byte k's bit lands on bit 56 + k; the partial products never overlap).
std::uint8_t pack8(const std::uint8_t* p) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    x |= x >> 4;
    x |= x >> 2;
    x |= x >> 1;
    x &= 0x0101010101010101ull;
    return std::uint8_t((x * 0x0102040810204080ull) >> 56);
}

// Byte -> its 8 pixels as 0/1 bytes, by table.
const std::array<std::uint64_t, 256>& unpack_table() {
    static const std::array<std::uint64_t, 256> table = [] {
        std::array<std::uint64_t, 256> t{};
        for (int b = 0; b < 256; ++b) {
            std::uint8_t bytes[8];
            for (int k = 0; k < 8; ++k) bytes[k] = std::uint8_t((b >> k) & 1);
            std::memcpy(&t[std::size_t(b)], bytes, 8);
        }
        return t;
    }();
    return table;
}

}  // namespace

QByteArray frame_masks(const QJsonObject& json, const std::vector<const std::vector<std::uint8_t>*>& masks) {
    const QByteArray text = QJsonDocument(json).toJson(QJsonDocument::Compact);
    std::size_t bits_bytes = 0;
    for (const auto* m : masks) bits_bytes += packed_bytes(m->size());
    QByteArray body(kPrefixBytes + text.size() + qsizetype(bits_bytes), Qt::Uninitialized);
    char* out = body.data();
    std::memcpy(out, kMagic, 4);
    const std::uint32_t length = std::uint32_t(text.size());
    for (int k = 0; k < 4; ++k) out[4 + k] = char((length >> (8 * k)) & 0xff);
    std::memcpy(out + kPrefixBytes, text.constData(), std::size_t(text.size()));
    auto* bits = reinterpret_cast<std::uint8_t*>(out + kPrefixBytes + text.size());
    for (const auto* m : masks) {
        const std::uint8_t* p = m->data();
        const std::size_t whole = m->size() / 8;
        for (std::size_t i = 0; i < whole; ++i) bits[i] = pack8(p + 8 * i);
        if (const std::size_t rest = m->size() % 8) {
            std::uint8_t tail[8] = {};
            std::memcpy(tail, p + 8 * whole, rest);
            bits[whole] = pack8(tail);
        }
        bits += packed_bytes(m->size());
    }
    return body;
}

std::optional<MaskFrame> unframe_masks(const QByteArray& body) {
    if (body.size() < kPrefixBytes || std::memcmp(body.constData(), kMagic, 4) != 0) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(body.constData()) + 4;
    const qsizetype length = qsizetype(std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24);
    if (length > body.size() - kPrefixBytes) return std::nullopt;
    QJsonParseError error{};
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray::fromRawData(body.constData() + kPrefixBytes, length), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) return std::nullopt;
    return MaskFrame{doc.object(), body, kPrefixBytes + length};
}

bool unpack_mask(const QByteArray& body, qsizetype bits_offset, std::size_t pixels, std::size_t index, std::vector<std::uint8_t>* mask) {
    const std::size_t bytes = packed_bytes(pixels);
    if (bits_offset < 0 || bits_offset > body.size() || (std::size_t(body.size() - bits_offset)) / (bytes ? bytes : 1) <= index)
        return false;
    const auto* in = reinterpret_cast<const std::uint8_t*>(body.constData() + bits_offset) + index * bytes;
    mask->resize(bytes * 8);
    const auto& table = unpack_table();
    std::uint8_t* out = mask->data();
    for (std::size_t i = 0; i < bytes; ++i) std::memcpy(out + 8 * i, &table[in[i]], 8);
    mask->resize(pixels);
    return true;
}

}  // namespace samlabel::service::wire
