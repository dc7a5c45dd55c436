#include "core/service/control_api_replies.h"

#include "core/service/control_api_mask_frame.h"
#include "core/service/control_api_requests.h"  // box_from_json

#include "core/engine/device_dtype_names.h"
#include "core/engine/sam3_parts.h"

#include <QJsonArray>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace samlabel::service::wire {
namespace {

constexpr double kMb = 1024.0 * 1024.0;

const BackendError kAllErrors[] = {BackendError::None,        BackendError::NotLoaded, BackendError::Refused,
                                   BackendError::Busy,        BackendError::NoLastModel, BackendError::BadInput,
                                   BackendError::UnknownImage, BackendError::Cancelled, BackendError::Unreachable,
                                   BackendError::Failed};

BackendError error_from_name(const QString& name) {
    for (BackendError e : kAllErrors)
        if (name == QLatin1String(backend_error_name(e))) return e;
    return BackendError::Failed;
}

BackendError get_error(const QJsonObject& o) {
    return o.contains(QStringLiteral("error")) ? error_from_name(o.value(QStringLiteral("error")).toString())
                                               : BackendError::None;
}

double d(const QJsonObject& o, const char* key) { return o.value(QLatin1String(key)).toDouble(); }
QString s(const QJsonObject& o, const char* key) { return o.value(QLatin1String(key)).toString(); }
// A number as an unsigned 64-bit count: 0 when it is not one (negative, NaN,
// infinite, or 2^64 and beyond, whose conversion would be undefined).
std::uint64_t count(double v) { return v > 0 && v < 0x1p64 ? std::uint64_t(v) : 0; }
// Byte counts travel as JSON numbers: exact up to 2^53 (8 PB).
std::uint64_t bytes(const QJsonObject& o, const char* key) { return count(d(o, key)); }

// A PNG's size from its header: the signature, then the IHDR chunk (length,
// "IHDR", width, height big-endian). False when the bytes are not a PNG.
bool png_size(const QByteArray& png, qint64* width, qint64* height) {
    static constexpr char kSignature[8] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n'};
    if (png.size() < 24 || std::memcmp(png.constData(), kSignature, 8) != 0 || std::memcmp(png.constData() + 12, "IHDR", 4) != 0)
        return false;
    const auto* p = reinterpret_cast<const unsigned char*>(png.constData());
    auto be32 = [p](int at) { return qint64(p[at]) << 24 | qint64(p[at + 1]) << 16 | qint64(p[at + 2]) << 8 | qint64(p[at + 3]); };
    *width = be32(16);
    *height = be32(20);
    return true;
}

// "mask_png_base64" back to a 0/1 mask of the answer's size (width x height).
// Only a PNG of that size is decoded: any other bytes would reach whichever
// OpenCV decoder claims them (a DICOM signature asserts in GDCM), and a PNG
// header's size is allocated before anything else is read. False with *why.
bool decode_mask_png(const QJsonValue& base64, int width, int height, std::vector<std::uint8_t>* mask01, QString* why) {
    const QByteArray png = QByteArray::fromBase64(base64.toString().toLatin1());
    qint64 png_width = 0, png_height = 0;
    if (!png_size(png, &png_width, &png_height)) {
        *why = QStringLiteral("the mask is not a PNG");
        return false;
    }
    if (png_width != width || png_height != height) {
        *why = QStringLiteral("the mask is %1x%2, the image %3x%4").arg(png_width).arg(png_height).arg(width).arg(height);
        return false;
    }
    const cv::Mat mask = cv::imdecode(cv::Mat(1, int(png.size()), CV_8UC1, const_cast<char*>(png.constData())), cv::IMREAD_GRAYSCALE);
    if (mask.empty() || mask.cols != width || mask.rows != height) {
        *why = QStringLiteral("the mask PNG does not decode");
        return false;
    }
    mask01->resize(std::size_t(mask.cols) * mask.rows);
    for (int r = 0; r < mask.rows; ++r) {
        const std::uint8_t* src = mask.ptr<std::uint8_t>(r);
        for (int x = 0; x < mask.cols; ++x) (*mask01)[std::size_t(r) * mask.cols + x] = src[x] ? 1 : 0;
    }
    return true;
}

engine::MemoryEstimate estimate_from_json(const QJsonObject& o) {
    engine::MemoryEstimate e;
    e.parts = engine::parse_part_set(s(o, "parts").toStdString()).value_or(engine::PartSet::ClickToSegment);
    e.dtype = engine::parse_dtype(s(o, "dtype").toStdString()).value_or(engine::WeightDType::F32);
    e.device = engine::parse_device(s(o, "device").toStdString()).value_or(engine::DeviceSpec{engine::DeviceKind::Cpu, 0});
    e.geometry.image_size = o.value(QStringLiteral("image_size")).toInt(e.geometry.image_size);
    e.geometry.from_config = o.value(QStringLiteral("geometry_from_config")).toBool();
    e.parameters = bytes(o, "parameters");
    e.weight_bytes = bytes(o, "weight_bytes");
    e.mapped_weight_bytes = bytes(o, "mapped_weight_bytes");
    e.activation_bytes = bytes(o, "activation_bytes");
    e.runtime_bytes = bytes(o, "runtime_bytes");
    e.allocator_slack_bytes = bytes(o, "allocator_slack_bytes");
    e.margin_bytes = bytes(o, "margin_bytes");
    e.staging_bytes = bytes(o, "staging_bytes");
    return e;
}

}  // namespace

BackendError backend_error_from_code(const QString& code) {
    if (code == QLatin1String("bad_request")) return BackendError::BadInput;
    const BackendError e = error_from_name(code);
    return e == BackendError::None ? BackendError::Failed : e;
}

BackendStatus status_from_json(const QJsonObject& o) {
    BackendStatus st;
    st.model_loaded = o.value(QStringLiteral("model_loaded")).toBool();
    st.state = s(o, "state");
    st.device = s(o, "device");
    st.dtype = s(o, "dtype");
    st.model_path = s(o, "model_path");
    st.parts = s(o, "parts");
    st.vram_used_mb = d(o, "vram_used_mb");
    st.vram_used_known = o.value(QStringLiteral("vram_used_known")).toBool(true);  // absent: an older server, which always claimed to know
    st.vram_total_mb = d(o, "vram_total_mb");
    st.ram_rss_mb = d(o, "ram_rss_mb");
    return st;
}

BackendMemory memory_from_json(const QJsonObject& o) {
    BackendMemory m;
    m.ram_total_mb = d(o, "ram_total_mb");
    m.ram_available_mb = d(o, "ram_available_mb");
    m.ram_rss_mb = d(o, "ram_rss_mb");
    m.ram_peak_rss_mb = d(o, "ram_peak_rss_mb");
    m.swap_used_mb = d(o, "swap_used_mb");
    m.vram_known = o.value(QStringLiteral("vram_known")).toBool();
    m.vram_device = s(o, "vram_device");
    m.vram_total_mb = d(o, "vram_total_mb");
    m.vram_free_mb = d(o, "vram_free_mb");
    m.vram_process_mb = d(o, "vram_process_mb");
    m.vram_others_mb = d(o, "vram_others_mb");
    const double sampled_at_ms = d(o, "sampled_at_ms");  // beyond qint64 (or NaN): unknown, as absent
    m.sampled_at_ms = sampled_at_ms >= -0x1p63 && sampled_at_ms < 0x1p63 ? qint64(sampled_at_ms) : 0;
    return m;
}

LoadReply load_reply_from_json(const QJsonObject& o) {
    LoadReply r;
    r.error = get_error(o);
    r.message = s(o, "message");
    r.device = s(o, "device");
    r.dtype = s(o, "dtype");
    r.model_path = s(o, "model_path");
    r.parts = s(o, "parts");
    r.duration_ms = d(o, "duration_ms");
    r.rss_before_mb = d(o, "rss_before_mb");
    r.peak_rss_mb = d(o, "peak_rss_mb");
    r.peak_rss_sampled = o.value(QStringLiteral("peak_rss_sampled")).toBool();  // absent: an older server, never sampled
    r.rss_after_mb = d(o, "rss_after_mb");
    r.weights_mb = d(o, "weights_mb");
    return r;
}

UnloadReply unload_reply_from_json(const QJsonObject& o) {
    UnloadReply r;
    r.error = get_error(o);
    r.message = s(o, "message");
    r.was_loaded = o.value(QStringLiteral("was_loaded")).toBool();
    r.freed_vram_mb = d(o, "freed_vram_mb");
    r.freed_ram_mb = d(o, "freed_ram_mb");
    r.vram_after_mb = d(o, "vram_after_mb");
    r.vram_measured = o.value(QStringLiteral("vram_measured")).toBool(true);
    r.ram_rss_after_mb = d(o, "ram_rss_after_mb");
    r.duration_ms = d(o, "duration_ms");
    r.device = s(o, "device");
    r.embeddings_dropped = o.value(QStringLiteral("embeddings_dropped")).toInt();
    r.automatic = o.value(QStringLiteral("automatic")).toBool();
    r.process_ended = o.value(QStringLiteral("process_ended")).toBool();
    return r;
}

EncodeReply encode_reply_from_json(const QJsonObject& o) {
    EncodeReply r;
    r.error = get_error(o);
    r.message = s(o, "message");
    r.image_id = s(o, "image_id");
    r.width = o.value(QStringLiteral("width")).toInt();
    r.height = o.value(QStringLiteral("height")).toInt();
    r.cached = o.value(QStringLiteral("cached")).toBool();
    r.duration_ms = d(o, "duration_ms");
    return r;
}

std::optional<engine::SegmentResult> segment_result_from_json(const QJsonObject& json, QString* error, const QByteArray& frame,
                                                              qsizetype frame_bits_offset) {
    engine::SegmentResult result;
    result.object_score_logit = float(d(json, "object_score_logit"));
    result.decode_ms = d(json, "decode_ms");
    const QJsonArray candidates = json.value(QStringLiteral("candidates")).toArray();
    const int width = json.value(QStringLiteral("width")).toInt(), height = json.value(QStringLiteral("height")).toInt();
    const bool raw = s(json, "masks") == QLatin1String("raw");
    const bool runs = s(json, "masks") == QLatin1String("runs");
    // The server keeps the candidates' low-res logits under the answer's id: a refinement names them.
    std::optional<std::uint64_t> answer_id;
    if (const QJsonValue id = json.value(QStringLiteral("answer_id")); id.isDouble() && id.toDouble() >= 0 && id.toDouble() < 9007199254740992.0)
        answer_id = std::uint64_t(id.toDouble());
    const auto kept = [&answer_id](engine::MaskCandidate& m, qsizetype index) {
        if (answer_id) m.low_res.kept_by_server = engine::LowResMaskLogits::KeptByServer{*answer_id, int(index)};
    };
    qsizetype block_offset = frame_bits_offset;  // the next mask's block (runs)
    for (qsizetype i = 0; i < candidates.size(); ++i) {
        const QJsonObject c = candidates[i].toObject();
        engine::MaskCandidate m;
        // The mask, by how the answer carries it; the rest is the same for all three.
        QString failure;
        if (runs) {
            QString why;
            if (width <= 0 || height <= 0) why = QStringLiteral("no mask size");
            else unpack_mask_block(frame, &block_offset, std::size_t(width) * height, &m.mask, &why);
            if (!why.isEmpty()) failure = QStringLiteral("%1x%2 mask: %3").arg(width).arg(height).arg(why);
        } else if (raw) {
            if (width <= 0 || height <= 0 || !unpack_mask(frame, frame_bits_offset, std::size_t(width) * height, std::size_t(i), &m.mask))
                failure = QStringLiteral("the answer lacks the bits of a %1x%2 mask").arg(width).arg(height);
        } else {
            decode_mask_png(c.value(QStringLiteral("mask_png_base64")), width, height, &m.mask, &failure);
        }
        if (!failure.isEmpty()) {
            if (error) *error = QStringLiteral("candidates[%1]: %2").arg(i).arg(failure);
            return std::nullopt;
        }
        m.width = width;
        m.height = height;
        m.predicted_iou = float(d(c, "score"));
        kept(m, i);
        result.candidates.push_back(std::move(m));
    }
    return result;
}

std::optional<DetectReply> detect_reply_from_json(const QJsonObject& json, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    DetectReply reply;
    reply.width = json.value(QStringLiteral("width")).toInt();
    reply.height = json.value(QStringLiteral("height")).toInt();
    reply.duration_ms = d(json, "duration_ms");
    engine::DetectResult& result = reply.result;
    result.presence_score = float(d(json, "presence_score"));
    result.text_from_cache = json.value(QStringLiteral("text_cached")).toBool();
    result.text_ms = d(json, "text_ms");
    result.detect_ms = d(json, "detect_ms");
    result.masks_ms = d(json, "masks_ms");
    for (const QJsonValue& id : json.value(QStringLiteral("prompt")).toObject().value(QStringLiteral("token_ids")).toArray())
        result.token_ids.push_back(id.toInteger());
    for (const QJsonValue& score : json.value(QStringLiteral("query_scores")).toArray())
        result.query_scores.push_back(float(score.toDouble()));
    const QJsonArray query_boxes = json.value(QStringLiteral("query_boxes")).toArray();
    for (qsizetype i = 0; i < query_boxes.size(); ++i) {
        double v[4];
        if (!box_from_json(query_boxes[i], v)) return fail(QStringLiteral("query_boxes[%1] is not [x0, y0, x1, y1]").arg(i));
        result.query_boxes.push_back({float(v[0]), float(v[1]), float(v[2]), float(v[3])});
    }
    const QJsonArray detections = json.value(QStringLiteral("detections")).toArray();
    for (qsizetype i = 0; i < detections.size(); ++i) {
        const QJsonObject o = detections[i].toObject();
        engine::Detection det;
        det.query = o.value(QStringLiteral("query")).toInt();
        det.score = float(d(o, "score"));
        double v[4];
        if (!box_from_json(o.value(QStringLiteral("box")), v))
            return fail(QStringLiteral("detections[%1].box is not [x0, y0, x1, y1]").arg(i));
        det.box = {float(v[0]), float(v[1]), float(v[2]), float(v[3])};
        det.width = reply.width;
        det.height = reply.height;
        if (o.contains(QStringLiteral("mask_png_base64"))) {
            QString why;
            if (!decode_mask_png(o.value(QStringLiteral("mask_png_base64")), reply.width, reply.height, &det.mask, &why))
                return fail(QStringLiteral("detections[%1]: %2").arg(i).arg(why));
        }
        result.detections.push_back(std::move(det));
    }
    return reply;
}

PreflightReply preflight_reply_from_json(const QJsonObject& o) {
    PreflightReply r;
    if (o.contains(QStringLiteral("error"))) r.error = backend_error_from_code(s(o, "error"));
    r.message = s(o, "message");
    r.blocker = s(o, "blocker");
    if (o.value(QStringLiteral("estimate")).isObject()) {
        engine::PreflightReport report;
        report.estimate = estimate_from_json(o.value(QStringLiteral("estimate")).toObject());
        report.verdict.fits = o.value(QStringLiteral("fits")).toBool();
        report.verdict.needed_bytes = bytes(o, "needed_bytes");
        report.verdict.available_bytes = bytes(o, "available_bytes");
        report.verdict.message = s(o, "verdict_message").toStdString();
        for (const QJsonValue& suggestion : o.value(QStringLiteral("suggestions")).toArray())
            report.verdict.suggestions.push_back(suggestion.toString().toStdString());
        r.report = std::move(report);
    }
    return r;
}

std::vector<engine::GpuMemory> gpus_from_json(const QJsonArray& json) {
    auto mb_bytes = [](const QJsonObject& o, const char* key) {
        return count(std::round(d(o, key) * kMb));  // llround() of 2^63 and beyond is unspecified
    };
    std::vector<engine::GpuMemory> gpus;
    for (const QJsonValue& value : json) {
        const QJsonObject o = value.toObject();
        engine::GpuMemory g;
        g.index = o.value(QStringLiteral("index")).toInt();
        g.name = s(o, "name").toStdString();
        g.total_bytes = mb_bytes(o, "total_mb");
        g.free_bytes = mb_bytes(o, "free_mb");
        g.used_by_this_process_bytes = mb_bytes(o, "process_mb");
        g.this_process_known = o.value(QStringLiteral("process_known")).toBool(true);
        g.used_by_others_bytes = mb_bytes(o, "others_mb");
        g.source = s(o, "source").toStdString();
        gpus.push_back(std::move(g));
    }
    return gpus;
}

std::optional<LoadProgressFigures> load_progress_from_json(const QJsonValue& json) {
    if (!json.isObject()) return std::nullopt;
    const QJsonObject o = json.toObject();
    return LoadProgressFigures{quint64(bytes(o, "bytes_done")), quint64(bytes(o, "bytes_total"))};
}

}  // namespace samlabel::service::wire
