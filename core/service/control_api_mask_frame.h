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
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace samlabel::service::wire {

inline constexpr char kMaskFrameContentType[] = "application/vnd.samlabel.masks";

// How the masks follow the JSON.
// * Bits (`"masks": "raw"`): every mask as packed bits, as above.
// * Blocks (`"masks": "runs"`): every mask as one block: a kind byte, the
//   block's length (uint32, little-endian), then
//     kind 'r': the lengths of its runs, alternately 0s and 1s starting with 0s
//               (the first may be 0), each an unsigned LEB128 varint, summing
//               to width x height;
//     kind 'b': its packed bits, as above.
//   A click's mask is a few blobs: its runs take a few kilobytes where its bits
//   take width x height / 8 bytes (150 KB at 1280x960), and writing them back
//   is a memset per run. A speckled mask whose runs would outgrow its bits is
//   sent as bits.
enum class MaskFrameCoding { Bits, Blocks };

// Masks are 0/1 (any non-zero byte counts as 1).
QByteArray frame_masks(const QJsonObject& json, const std::vector<const std::vector<std::uint8_t>*>& masks,
                       MaskFrameCoding coding = MaskFrameCoding::Bits);

struct MaskFrame {
    QJsonObject json;
    QByteArray body;            // the whole frame (the bits are not copied out)
    qsizetype bits_offset = 0;  // where the first mask's bits start in body
};
// nullopt when the body is not a well-formed frame.
std::optional<MaskFrame> unframe_masks(const QByteArray& body);
// The frame that starts at `start` in `bytes` (a click channel answer holds it
// after its head): MaskFrame::body is all of `bytes`, not a copy of the frame.
std::optional<MaskFrame> unframe_masks(const QByteArray& bytes, qsizetype start);

// Mask `index` (0-based) of `pixels` pixels out of the frame's bits, as 0/1
// bytes; false when the frame is too short for it.
bool unpack_mask(const QByteArray& body, qsizetype bits_offset, std::size_t pixels, std::size_t index, std::vector<std::uint8_t>* mask);

// The block (MaskFrameCoding::Blocks) at *offset, a mask of `pixels` pixels,
// as 0/1 bytes; moves *offset past it. False, with *error saying why, when
// the block is cut short, of an unknown kind, or its runs do not sum to `pixels`.
bool unpack_mask_block(const QByteArray& body, qsizetype* offset, std::size_t pixels, std::vector<std::uint8_t>* mask,
                       QString* error);

}  // namespace samlabel::service::wire
