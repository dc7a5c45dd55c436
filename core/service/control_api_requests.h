#pragma once
// What the control API reads from a client, as pure functions (Qt Core only, no
// sockets, no engine): the framing of requests before their bodies are
// buffered (http_request_guard), the JSON body of a request (ControlApiServer)
// and the segment / detect / load requests (control_api_wire.h includes this). The
// sanitizer build tests and fuzzes them (tests/fuzz/fuzz_control_api.cpp).
#include "core/engine/engine_types.h"

#include <QByteArray>
#include <QJsonValue>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <optional>

namespace samlabel::service {

inline constexpr qsizetype kMaxHeaderBytes = 64 * 1024;

// The largest body accepted for a request path (bytes).
using BodyCapFn = std::function<qint64(const QByteArray& path)>;
// Why a request with this Authorization header value (empty when it has none)
// may not go on; an empty answer lets it through.
using AuthorizeFn = std::function<QByteArray(const QByteArray& authorization)>;

// Frames the HTTP/1.1 requests of one connection from the bytes as they
// arrive, by their header block and Content-Length, and decides to refuse one
// BEFORE its body is read, from the header block alone, in this order: 431
// (header block over kMaxHeaderBytes), 411 (chunked: size unknown upfront), 413
// (body over the path's cap), 401 (`authorize` refuses the Authorization
// header; the size answers come first because they need no secret).
class RequestFramer {
public:
    struct Refusal {
        int status = 0;          // 431, 411, 413 or 401
        QByteArray message;
        qint64 drain_bytes = 0;  // body bytes still to come after this chunk (to discard)
    };
    explicit RequestFramer(BodyCapFn body_cap, AuthorizeFn authorize = {});

    // The bytes that arrived since the last call. A refusal ends the framing:
    // later calls return nullopt and frame nothing.
    std::optional<Refusal> feed(const QByteArray& chunk);
    bool refused() const { return state_ == State::Refused; }
    // The request line of the request framed last (or refused).
    const QByteArray& method() const { return method_; }
    const QByteArray& path() const { return path_; }

private:
    enum class State { Headers, Body, Refused };
    // Parses the request line and the framing headers of `head`.
    std::optional<Refusal> frame_request(const QByteArray& head, qint64* content_length);

    BodyCapFn cap_;
    AuthorizeFn authorize_;
    State state_ = State::Headers;
    QByteArray header_;
    QByteArray method_;
    QByteArray path_;
    qint64 body_left_ = 0;
};

// An answer that refuses a request: HTTP status, "error" code, message.
struct RequestError {
    int status = 400;
    QString code;
    QString message;
};

// A request's body as the handlers take it: over `cap` bytes -> 413; for a POST
// a JSON object (or nothing: an empty object), anything else -> 400 naming the
// byte and the problem. Other methods' bodies are ignored.
std::optional<QJsonObject> parse_request_body(const QByteArray& raw, bool is_post, qint64 cap, RequestError* error);

namespace wire {

// [x0, y0, x1, y1] of numbers a float holds; false otherwise.
bool box_from_json(const QJsonValue& value, double out[4]);

// Largest bodies accepted: uploads carry an image, everything else is small.
inline constexpr qint64 kMaxUploadBodyBytes = 64ll * 1024 * 1024;
inline constexpr qint64 kMaxSmallBodyBytes = 64ll * 1024;

// The segment request: {"image_id"?, "image_base64"?, "points": [[x, y, label], ...],
// "box"?: [x0, y0, x1, y1], "multimask"?: bool, "masks"?: "png"|"raw"|"runs",
// "polygons"?: bool, "previous_mask"?: {"answer_id": N, "candidate": K}}.
// Label 1 = positive, 0 = negative. "previous_mask" names a candidate of an
// earlier answer (its "answer_id") to refine, as the SAM tool feeds the mask
// it shows back; the server keeps the logits of its latest answers
// (kept_mask_logits.h), not the client.
// How the answer carries each mask: a PNG in the JSON (any client reads it), or
// after the JSON in one binary body (control_api_mask_frame.h), as packed bits
// ("raw") or as runs ("runs": what RemoteModelBackend asks for). Neither has a
// PNG or base64 to encode and decode on every click, whose round trip costs
// more than the click on a large image; runs are a few KB where bits are 150 KB.
enum class MaskEncoding { Png, Raw, Runs };
struct SegmentRequest {
    QString image_id;
    QByteArray image_bytes;  // decoded from image_base64 (a PNG/JPEG/... file's bytes)
    engine::ClickPrompt prompt;
    MaskEncoding masks = MaskEncoding::Png;
    bool include_polygons = true;  // false: no "polygons" (a client that polygonises itself, on accept)
};
// nullopt with *error set (naming the field) for a malformed request.
std::optional<SegmentRequest> parse_segment_request(const QJsonObject& json, QString* error);

// The detect request: {"image_id"? | "image_base64"?, "text"?: "car",
// "boxes"?: [[x0, y0, x1, y1], ...], "negative_boxes"?: [[...]], "threshold"?: 0.3,
// "mask_threshold"?: 0.5, "include_masks"?: true}. At least a text or one box.
inline constexpr int kMaxDetectBoxes = 64;             // per list
inline constexpr qsizetype kMaxDetectTextBytes = 1024;  // UTF-8; the model takes 30 tokens anyway
struct DetectRequest {
    QString image_id;
    QByteArray image_bytes;  // decoded from image_base64
    engine::DetectPrompt prompt;  // positive boxes first, then the negative ones
    engine::DetectOptions options;
    bool include_masks = true;  // false: no mask PNGs or polygons in the answer
};
// nullopt with *error set (naming the field) for a malformed request; unknown fields are refused.
std::optional<DetectRequest> parse_detect_request(const QJsonObject& json, QString* error);

// The body of POST /api/v1/load and /api/v1/preflight: {"weights"?: "/abs/dir",
// "device"?: "auto"|"cpu"|"cuda"|"cuda:N", "dtype"?: "auto"|"fp32"|"bf16"|"fp16",
// "parts"?: "click"|"detect"|"click+detect", "keep_free_ram_mb"?: n, "max_vram_mb"?: n}.
// Every field is optional; a body without any means "reload the last model".
inline constexpr qsizetype kMaxWeightsPathBytes = 4096;
inline constexpr double kMaxBudgetMb = 1024.0 * 1024 * 1024;  // 1 PiB: beyond any machine, far from overflow
struct LoadOptionsRequest {
    QString weights;  // absolute folder on the server; empty: the server's own folder
    std::optional<engine::DeviceSpec> device;
    std::optional<engine::WeightDType> dtype;
    std::optional<engine::PartSet> parts;
    std::optional<std::uint64_t> keep_free_ram_bytes;
    std::optional<std::uint64_t> max_vram_bytes;
    bool empty() const {
        return weights.isEmpty() && !device && !dtype && !parts && !keep_free_ram_bytes && !max_vram_bytes;
    }
};
// nullopt with *error set (naming the field) for a malformed body; unknown fields are refused.
std::optional<LoadOptionsRequest> parse_load_request(const QJsonObject& json, QString* error);

}  // namespace wire
}  // namespace samlabel::service
