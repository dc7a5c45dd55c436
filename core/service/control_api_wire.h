#pragma once
// The control API's wire format, shared by the server (ControlApiServer) and
// its clients (RemoteModelBackend, samlabel-cli health/unload), so the two
// sides cannot drift apart. Documented in docs/control-api.md. The parsers of
// the server's answers (*_from_json) are control_api_replies.h (torch-free, fuzzed).
#include "core/engine/engine_types.h"
#include "core/service/control_api_load_wire.h"  // load/preflight bodies, the preflight answer, GPUs, load progress
#include "core/service/control_api_replies.h"    // the client side: the answers parsed back
#include "core/service/control_api_requests.h"
#include "core/service/model_backend.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace samlabel::service::wire {

int http_status_for(BackendError error);  // 409, 400, 404, 502, 500
// The "error" code an answer carries: "bad_request" for BadInput (as every
// other 400), backend_error_name() otherwise (backend_error_from_code reads it back).
QString error_code_for(BackendError error);
// {"error": <code>, "message": message}
QJsonObject error_json(const QString& code, const QString& message);
QJsonObject error_json(BackendError error, const QString& message);

QJsonObject to_json(const BackendStatus& status);
QJsonObject to_json(const BackendMemory& memory);
QJsonObject to_json(const LoadReply& reply);
QJsonObject to_json(const UnloadReply& reply);
QJsonObject to_json(const EncodeReply& reply);

// SegmentRequest, DetectRequest and their parsers: control_api_requests.h.
// Client side (no image); `masks`/`polygons` choose how the answer carries the masks.
QString mask_encoding_name(MaskEncoding masks);  // "png", "raw", "runs"
QJsonObject to_json(const QString& image_id, const engine::ClickPrompt& prompt, MaskEncoding masks = MaskEncoding::Png,
                    bool polygons = true);

// The answer: every candidate's mask as a base64 PNG (0/255, image size; with
// MaskEncoding::Raw or Runs none: "masks": "raw"/"runs" says they follow the JSON, see
// control_api_mask_frame.h), its polygons (outer ring + holes, pixel-corner
// frame; unless left out) and its predicted IoU.
QJsonObject segment_result_to_json(const QString& image_id, const engine::SegmentResult& result,
                                   MaskEncoding masks = MaskEncoding::Png, bool polygons = true);

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
