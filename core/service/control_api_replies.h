#pragma once
// The client side of the control API's wire format: what RemoteModelBackend
// (and through it ChildProcessModelBackend, samlabel-cli health/unload) reads
// from a server's answers. Pure functions of the answer's JSON (and a mask
// frame's bits), Qt Core + OpenCV's PNG decoder, no torch: the sanitizer build
// fuzzes them (fuzz_control_api_replies), since a broken or hostile server must
// never crash the GUI. The server's side (to_json) is control_api_wire.h and
// control_api_load_wire.h; docs/control-api.md documents both.
//
// Fields that are missing or of the wrong type read as their defaults (0, "",
// false); the parsers that return std::optional refuse an answer they cannot
// use, with *error saying why.
#include "core/engine/engine_types.h"
#include "core/engine/memory_probe.h"  // GpuMemory
#include "core/service/backend_replies.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>
#include <vector>

namespace samlabel::service::wire {

// An answer's "error" code back to its kind: "bad_request" is BadInput; an
// unknown code (and "none") is Failed.
BackendError backend_error_from_code(const QString& code);

BackendStatus status_from_json(const QJsonObject& json);    // /health
BackendMemory memory_from_json(const QJsonObject& json);    // /api/v1/memory
LoadReply load_reply_from_json(const QJsonObject& json);    // /api/v1/load
UnloadReply unload_reply_from_json(const QJsonObject& json);  // /api/v1/unload
EncodeReply encode_reply_from_json(const QJsonObject& json);  // /api/v1/encode
PreflightReply preflight_reply_from_json(const QJsonObject& json);  // /api/v1/preflight

// /health's "gpus".
std::vector<engine::GpuMemory> gpus_from_json(const QJsonArray& json);

// /health's "load_progress" while a load streams weights.
struct LoadProgressFigures {
    quint64 bytes_done = 0;
    quint64 bytes_total = 0;
};
std::optional<LoadProgressFigures> load_progress_from_json(const QJsonValue& json);  // nullopt when absent

// /api/v1/segment: masks decoded from the PNGs, or unpacked from a mask frame's
// bits (`frame` and its bits offset, control_api_mask_frame.h). nullopt with
// *error when malformed.
std::optional<engine::SegmentResult> segment_result_from_json(const QJsonObject& json, QString* error,
                                                              const QByteArray& frame = {}, qsizetype frame_bits_offset = 0);

// /api/v1/detect: masks decoded from the PNGs (empty where the answer has
// none). nullopt with *error when malformed.
std::optional<DetectReply> detect_reply_from_json(const QJsonObject& json, QString* error);

}  // namespace samlabel::service::wire
