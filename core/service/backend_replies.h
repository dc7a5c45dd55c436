#pragma once
// What the model backend answers: the error kinds and one reply struct per
// operation (status, memory, preflight, load, unload, encode, segment, detect).
// Plain values, no Qt object, no torch: the control API's client-side parsers
// (control_api_replies.h) fill them from a server's answers in the torch-free
// library samlabel_service_replies, which the sanitizer build fuzzes.
#include "core/engine/engine_types.h"
#include "core/engine/model_session.h"  // LoadRequest, PreflightReport (torch-free header)

#include <QString>

#include <optional>

namespace samlabel::service {

// Why an operation did not succeed. The control API maps each kind to one
// HTTP status (see docs/control-api.md).
enum class BackendError {
    None = 0,
    NotLoaded,     // no model (409)
    Refused,       // the memory preflight refused the load (409)
    Busy,          // another operation holds the model and this one cannot wait (409)
    NoLastModel,   // reload asked but no model was ever loaded (409)
    BadInput,      // the request itself is wrong: bad image bytes, bad prompt (400)
    UnknownImage,  // segment/detect for an image id never encoded or already evicted (404)
    Cancelled,     // an unload cancelled it (409)
    Unreachable,   // remote backend: server down, timeout, TLS, wrong token (502)
    Failed,        // anything else (500)
};
const char* backend_error_name(BackendError error);  // "not_loaded", "refused", ...

// The /health answer.
struct BackendStatus {
    bool model_loaded = false;
    QString state = QStringLiteral("unloaded");  // unloaded, loading, ready, busy, unloading
    QString device;       // "cpu", "cuda:0"; empty when unloaded
    QString dtype;        // "float32", "bfloat16", "float16"; empty when unloaded
    QString model_path;   // checkpoint folder of the loaded (or last) model
    QString parts;        // "click", "detect", "click+detect" (engine::part_set_cli_name); empty when unloaded
    double vram_used_mb = 0.0;   // this process on the model's GPU (0 on CPU)
    bool vram_used_known = true; // false: the GPU's probe cannot tell this process's share (vram_used_mb means nothing)
    double vram_total_mb = 0.0;  // 0 when no GPU is known
    double ram_rss_mb = 0.0;     // this process's resident set
};

// The memory gauge's current figures (/api/v1/memory).
struct BackendMemory {
    double ram_total_mb = 0.0;
    double ram_available_mb = 0.0;
    double ram_rss_mb = 0.0;        // this process
    double ram_peak_rss_mb = 0.0;   // this process, peak
    double swap_used_mb = 0.0;
    bool vram_known = false;        // a GPU is visible (NVML or libtorch)
    QString vram_device;            // e.g. "cuda:0 NVIDIA H100"
    double vram_total_mb = 0.0;
    double vram_free_mb = 0.0;
    double vram_process_mb = 0.0;   // this process's share
    double vram_others_mb = 0.0;    // other processes' share (a training run shows here)
    qint64 sampled_at_ms = 0;       // unix epoch ms
};

// What Load would do with these options, answered before Load (the model
// panel shows it while the user picks options).
struct PreflightReply {
    BackendError error = BackendError::None;  // Failed: the checkpoint is unreadable (message says why)
    QString message;
    std::optional<engine::PreflightReport> report;  // the estimate and the verdict, when the checkpoint was read
    // The folder is readable but cannot serve the parts whatever the memory
    // (detection without tokenizer files): Load stays off, this says why.
    QString blocker;
    bool ok() const { return error == BackendError::None; }
    bool loadable() const { return ok() && report && report->verdict.fits && blocker.isEmpty(); }
};

struct LoadReply {
    BackendError error = BackendError::None;
    QString message;      // the preflight's verdict when refused, the error when failed
    QString device;
    QString dtype;
    QString model_path;
    QString parts;        // what is loaded now: "click", "detect", "click+detect"
    double duration_ms = 0.0;
    // Measured by the process that loaded (the model process in remote and
    // child modes); 0 when unknown.
    double rss_before_mb = 0.0;
    double peak_rss_mb = 0.0;
    bool peak_rss_sampled = false;  // the peak was sampled during the load (Windows), not the OS's own counter
    double rss_after_mb = 0.0;
    double weights_mb = 0.0;
    bool ok() const { return error == BackendError::None; }
};

struct UnloadReply {
    BackendError error = BackendError::None;
    QString message;
    bool was_loaded = false;
    double freed_vram_mb = 0.0;      // measured: this process's VRAM before - after
    double freed_ram_mb = 0.0;       // measured: RSS before - after
    double vram_after_mb = 0.0;      // this process's VRAM once unloaded (CUDA context remains)
    bool vram_measured = true;       // false: the VRAM figures could not be measured (see engine::UnloadReport)
    double ram_rss_after_mb = 0.0;
    double duration_ms = 0.0;
    QString device;               // where the model was ("cpu", "cuda:0"); empty when none was loaded
    int embeddings_dropped = 0;
    bool automatic = false;       // the idle auto-unload, not a request
    bool process_ended = false;   // child mode: the model process exited, its CUDA context with it
    bool ok() const { return error == BackendError::None; }
};

struct EncodeReply {
    BackendError error = BackendError::None;
    QString message;
    QString image_id;     // use it in segment(); stable for the same pixels/bytes
    int width = 0;
    int height = 0;
    bool cached = false;  // the embedding was already there
    double duration_ms = 0.0;
    bool ok() const { return error == BackendError::None; }
};

struct SegmentReply {
    BackendError error = BackendError::None;
    QString message;
    engine::SegmentResult result;
    double duration_ms = 0.0;  // the whole round trip as this backend saw it
    bool ok() const { return error == BackendError::None; }
};

struct DetectReply {
    BackendError error = BackendError::None;
    QString message;
    engine::DetectResult result;  // masks at the image's size
    int width = 0;                // the image's size (also when nothing was found)
    int height = 0;
    double duration_ms = 0.0;     // the whole round trip as this backend saw it
    bool ok() const { return error == BackendError::None; }
};

}  // namespace samlabel::service
