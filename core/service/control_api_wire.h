#pragma once
// The control API's wire format, shared by the server (ControlApiServer) and
// its clients (RemoteModelBackend, samlabel-cli health/unload), so the two
// sides cannot drift apart. Documented in docs/control-api.md.
#include "core/engine/engine_types.h"
#include "core/service/control_api_load_wire.h"  // load/preflight bodies, the preflight answer, GPUs, load progress
#include "core/service/control_api_requests.h"
#include "core/service/model_backend.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace samlabel::service::wire {

int http_status_for(BackendError error);  // 409, 400, 404, 502, 500
// The "error" code an answer carries: "bad_request" for BadInput (as every
// other 400), backend_error_name() otherwise; and back (unknown codes: Failed).
QString error_code_for(BackendError error);
BackendError backend_error_from_code(const QString& code);
// {"error": <code>, "message": message}
QJsonObject error_json(const QString& code, const QString& message);
QJsonObject error_json(BackendError error, const QString& message);

QJsonObject to_json(const BackendStatus& status);
BackendStatus status_from_json(const QJsonObject& json);
QJsonObject to_json(const BackendMemory& memory);
BackendMemory memory_from_json(const QJsonObject& json);
QJsonObject to_json(const LoadReply& reply);
LoadReply load_reply_from_json(const QJsonObject& json);
QJsonObject to_json(const UnloadReply& reply);
UnloadReply unload_reply_from_json(const QJsonObject& json);
QJsonObject to_json(const EncodeReply& reply);
EncodeReply encode_reply_from_json(const QJsonObject& json);

// SegmentRequest, DetectRequest and their parsers: control_api_requests.h.
// Client side (no image); `masks`/`polygons` choose how the answer carries the masks.
QJsonObject to_json(const QString& image_id, const engine::ClickPrompt& prompt, MaskEncoding masks = MaskEncoding::Png,
                    bool polygons = true);

// The answer: every candidate's mask as a base64 PNG (0/255, image size; with
// MaskEncoding::Raw none: "masks": "raw" says they follow the JSON, see
// control_api_mask_frame.h), its polygons (outer ring + holes, pixel-corner
// frame; unless left out) and its predicted IoU.
QJsonObject segment_result_to_json(const QString& image_id, const engine::SegmentResult& result,
                                   MaskEncoding masks = MaskEncoding::Png, bool polygons = true);
// Client side: masks decoded from the PNGs, or unpacked from a mask frame's
// bits (`frame` and its bits offset, control_api_mask_frame.h). nullopt with
// *error when malformed.
std::optional<engine::SegmentResult> segment_result_from_json(const QJsonObject& json, QString* error,
                                                              const QByteArray& frame = {}, qsizetype frame_bits_offset = 0);

// Client side (no image).
QJsonObject to_json(const QString& image_id, const engine::DetectPrompt& prompt, const engine::DetectOptions& options,
                    bool include_masks = true);

// The answer: {"image_id", "width", "height", "prompt": {"text", "token_count",
// "token_ids"}, "presence_score", "threshold", "mask_threshold", "duration_ms",
// "text_ms", "detect_ms", "masks_ms", "text_cached", "detections": [{"query",
// "score", "box", "area_px", "mask_png_base64"?, "polygons"?}], "query_scores",
// "query_boxes"}. Masks and polygons as in the segment answer. PNG-encodes
// every mask: call it off the server's event loop.
QJsonObject detect_result_to_json(const QString& image_id, const DetectReply& reply, const engine::DetectPrompt& prompt,
                                  const engine::DetectOptions& options, bool include_masks);
// Client side: masks decoded from the PNGs (empty where the answer has none).
// nullopt with *error when malformed.
std::optional<DetectReply> detect_reply_from_json(const QJsonObject& json, QString* error);

// Decodes an uploaded image file (any format core/io reads, EXIF applied) to
// RGB. The content key is "upload-<hash of the bytes>". nullopt with *error.
struct DecodedImage {
    engine::ImageRgb8 image;
    QString content_key;
};
std::optional<DecodedImage> decode_uploaded_image(const QByteArray& bytes, const QString& name, QString* error);
// Lossless PNG of an RGB image (what RemoteModelBackend uploads).
QByteArray encode_png(const engine::ImageRgb8& image);

}  // namespace samlabel::service::wire
