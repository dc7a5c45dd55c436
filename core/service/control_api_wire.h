#pragma once
// The control API's wire format, shared by the server (ControlApiServer) and
// its clients (RemoteModelBackend, samlabel-cli health/unload), so the two
// sides cannot drift apart. Documented in docs/control-api.md.
#include "core/engine/engine_types.h"
#include "core/service/model_backend.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace samlabel::service::wire {

// Largest bodies accepted: uploads carry an image, everything else is small.
inline constexpr qint64 kMaxUploadBodyBytes = 64ll * 1024 * 1024;
inline constexpr qint64 kMaxSmallBodyBytes = 64ll * 1024;

int http_status_for(BackendError error);  // 409, 400, 404, 502, 500
// {"error": <backend_error_name>, "message": message}
QJsonObject error_json(const QString& code, const QString& message);

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

// The segment request: {"image_id"?, "image_base64"?, "points": [[x, y, label], ...],
// "box"?: [x0, y0, x1, y1], "multimask"?: bool}. Label 1 = positive, 0 = negative.
struct SegmentRequest {
    QString image_id;
    QByteArray image_bytes;  // decoded from image_base64 (a PNG/JPEG/... file's bytes)
    engine::ClickPrompt prompt;
};
// nullopt with *error set (naming the field) for a malformed request.
std::optional<SegmentRequest> parse_segment_request(const QJsonObject& json, QString* error);
QJsonObject to_json(const QString& image_id, const engine::ClickPrompt& prompt);  // client side (no image)

// The answer: every candidate's mask as a base64 PNG (0/255, image size), its
// polygons (outer ring + holes, pixel-corner frame) and its predicted IoU.
QJsonObject segment_result_to_json(const QString& image_id, const engine::SegmentResult& result);
// Client side: masks decoded from the PNGs. nullopt with *error when malformed.
std::optional<engine::SegmentResult> segment_result_from_json(const QJsonObject& json, QString* error);

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
