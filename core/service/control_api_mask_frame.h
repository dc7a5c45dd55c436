#pragma once
// A segment answer with its masks as packed bits (`"masks": "raw"` in the
// request): one binary body, Content-Type kMaskFrameContentType, holding
//   "SLM1" | JSON length (uint32, little-endian) | the answer's JSON | every
//   candidate's mask, width x height pixels at 8 a byte (pixel k of a byte in
//   its bit k), each mask padded to whole bytes, in candidate order.
// The model process's clicks use it: packing and copying the bits costs a
// fraction of a PNG and base64 round trip of every candidate on every click.
#include <QByteArray>
#include <QJsonObject>

#include <cstdint>
#include <optional>
#include <vector>

namespace samlabel::service::wire {

inline constexpr char kMaskFrameContentType[] = "application/vnd.samlabel.masks";

// Masks are 0/1 (any non-zero byte counts as 1).
QByteArray frame_masks(const QJsonObject& json, const std::vector<const std::vector<std::uint8_t>*>& masks);

struct MaskFrame {
    QJsonObject json;
    QByteArray body;            // the whole frame (the bits are not copied out)
    qsizetype bits_offset = 0;  // where the first mask's bits start in body
};
// nullopt when the body is not a well-formed frame.
std::optional<MaskFrame> unframe_masks(const QByteArray& body);

// Mask `index` (0-based) of `pixels` pixels out of the frame's bits, as 0/1
// bytes; false when the frame is too short for it.
bool unpack_mask(const QByteArray& body, qsizetype bits_offset, std::size_t pixels, std::size_t index, std::vector<std::uint8_t>* mask);

}  // namespace samlabel::service::wire
