#include "core/service/control_api_wire.h"

#include "core/service/image_source.h"

#include "core/annotation/mask_geometry.h"
#include "core/engine/embedding_cache.h"
#include "core/io/image_reader.h"

#include <QJsonArray>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstring>
#include <span>

namespace samlabel::service::wire {
namespace {

const BackendError kAllErrors[] = {BackendError::None,        BackendError::NotLoaded, BackendError::Refused,
                                   BackendError::Busy,        BackendError::NoLastModel, BackendError::BadInput,
                                   BackendError::UnknownImage, BackendError::Cancelled, BackendError::Unreachable,
                                   BackendError::Failed};

BackendError error_from_name(const QString& name) {
    for (BackendError e : kAllErrors)
        if (name == QLatin1String(backend_error_name(e))) return e;
    return BackendError::Failed;
}

// Replies carry "error" only when they failed; success has none.
void put_error(QJsonObject& o, BackendError error, const QString& message) {
    if (error != BackendError::None) o[QStringLiteral("error")] = QLatin1String(backend_error_name(error));
    if (!message.isEmpty()) o[QStringLiteral("message")] = message;
}
BackendError get_error(const QJsonObject& o) {
    return o.contains(QStringLiteral("error")) ? error_from_name(o.value(QStringLiteral("error")).toString())
                                               : BackendError::None;
}

double d(const QJsonObject& o, const char* key) { return o.value(QLatin1String(key)).toDouble(); }
QString s(const QJsonObject& o, const char* key) { return o.value(QLatin1String(key)).toString(); }

bool finite_number(const QJsonValue& v, double* out) {
    if (!v.isDouble()) return false;
    *out = v.toDouble();
    return std::isfinite(*out);
}

QJsonArray ring_json(const std::vector<annotation::Point>& ring) {
    QJsonArray a;
    for (const annotation::Point& p : ring) a.append(QJsonArray{p.x, p.y});
    return a;
}

}  // namespace

int http_status_for(BackendError error) {
    switch (error) {
        case BackendError::None: return 200;
        case BackendError::NotLoaded:
        case BackendError::Refused:
        case BackendError::Busy:
        case BackendError::NoLastModel:
        case BackendError::Cancelled: return 409;
        case BackendError::BadInput: return 400;
        case BackendError::UnknownImage: return 404;
        case BackendError::Unreachable: return 502;
        case BackendError::Failed: return 500;
    }
    return 500;
}

QJsonObject error_json(const QString& code, const QString& message) {
    return QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}};
}

QJsonObject to_json(const BackendStatus& st) {
    return QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                       {QStringLiteral("model_loaded"), st.model_loaded},
                       {QStringLiteral("state"), st.state},
                       {QStringLiteral("device"), st.device},
                       {QStringLiteral("dtype"), st.dtype},
                       {QStringLiteral("model_path"), st.model_path},
                       {QStringLiteral("vram_used_mb"), st.vram_used_mb},
                       {QStringLiteral("vram_total_mb"), st.vram_total_mb},
                       {QStringLiteral("ram_rss_mb"), st.ram_rss_mb}};
}

BackendStatus status_from_json(const QJsonObject& o) {
    BackendStatus st;
    st.model_loaded = o.value(QStringLiteral("model_loaded")).toBool();
    st.state = s(o, "state");
    st.device = s(o, "device");
    st.dtype = s(o, "dtype");
    st.model_path = s(o, "model_path");
    st.vram_used_mb = d(o, "vram_used_mb");
    st.vram_total_mb = d(o, "vram_total_mb");
    st.ram_rss_mb = d(o, "ram_rss_mb");
    return st;
}

QJsonObject to_json(const BackendMemory& m) {
    return QJsonObject{{QStringLiteral("ram_total_mb"), m.ram_total_mb},
                       {QStringLiteral("ram_available_mb"), m.ram_available_mb},
                       {QStringLiteral("ram_rss_mb"), m.ram_rss_mb},
                       {QStringLiteral("ram_peak_rss_mb"), m.ram_peak_rss_mb},
                       {QStringLiteral("swap_used_mb"), m.swap_used_mb},
                       {QStringLiteral("vram_known"), m.vram_known},
                       {QStringLiteral("vram_device"), m.vram_device},
                       {QStringLiteral("vram_total_mb"), m.vram_total_mb},
                       {QStringLiteral("vram_free_mb"), m.vram_free_mb},
                       {QStringLiteral("vram_process_mb"), m.vram_process_mb},
                       {QStringLiteral("vram_others_mb"), m.vram_others_mb},
                       {QStringLiteral("sampled_at_ms"), double(m.sampled_at_ms)}};
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
    m.sampled_at_ms = qint64(d(o, "sampled_at_ms"));
    return m;
}

QJsonObject to_json(const LoadReply& r) {
    QJsonObject o{{QStringLiteral("status"), r.ok() ? QStringLiteral("loaded") : QStringLiteral("not_loaded")},
                  {QStringLiteral("device"), r.device},
                  {QStringLiteral("dtype"), r.dtype},
                  {QStringLiteral("model_path"), r.model_path},
                  {QStringLiteral("duration_ms"), r.duration_ms}};
    put_error(o, r.error, r.message);
    return o;
}

LoadReply load_reply_from_json(const QJsonObject& o) {
    LoadReply r;
    r.error = get_error(o);
    r.message = s(o, "message");
    r.device = s(o, "device");
    r.dtype = s(o, "dtype");
    r.model_path = s(o, "model_path");
    r.duration_ms = d(o, "duration_ms");
    return r;
}

QJsonObject to_json(const UnloadReply& r) {
    QJsonObject o{{QStringLiteral("status"), r.ok() ? QStringLiteral("unloaded") : QStringLiteral("failed")},
                  {QStringLiteral("was_loaded"), r.was_loaded},
                  {QStringLiteral("freed_vram_mb"), r.freed_vram_mb},
                  {QStringLiteral("freed_ram_mb"), r.freed_ram_mb},
                  {QStringLiteral("vram_after_mb"), r.vram_after_mb},
                  {QStringLiteral("ram_rss_after_mb"), r.ram_rss_after_mb},
                  {QStringLiteral("duration_ms"), r.duration_ms}};
    put_error(o, r.error, r.message);
    return o;
}

UnloadReply unload_reply_from_json(const QJsonObject& o) {
    UnloadReply r;
    r.error = get_error(o);
    r.message = s(o, "message");
    r.was_loaded = o.value(QStringLiteral("was_loaded")).toBool();
    r.freed_vram_mb = d(o, "freed_vram_mb");
    r.freed_ram_mb = d(o, "freed_ram_mb");
    r.vram_after_mb = d(o, "vram_after_mb");
    r.ram_rss_after_mb = d(o, "ram_rss_after_mb");
    r.duration_ms = d(o, "duration_ms");
    return r;
}

QJsonObject to_json(const EncodeReply& r) {
    QJsonObject o{{QStringLiteral("image_id"), r.image_id},
                  {QStringLiteral("width"), r.width},
                  {QStringLiteral("height"), r.height},
                  {QStringLiteral("cached"), r.cached},
                  {QStringLiteral("duration_ms"), r.duration_ms}};
    put_error(o, r.error, r.message);
    return o;
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

std::optional<SegmentRequest> parse_segment_request(const QJsonObject& json, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    SegmentRequest req;
    const QJsonValue id = json.value(QStringLiteral("image_id"));
    if (!id.isUndefined() && !id.isNull()) {
        if (!id.isString() || id.toString().isEmpty()) return fail(QStringLiteral("\"image_id\" must be a non-empty string"));
        req.image_id = id.toString();
    }
    const QJsonValue b64 = json.value(QStringLiteral("image_base64"));
    if (!b64.isUndefined() && !b64.isNull()) {
        if (!b64.isString()) return fail(QStringLiteral("\"image_base64\" must be a string"));
        const auto decoded = QByteArray::fromBase64Encoding(b64.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.isEmpty()) return fail(QStringLiteral("\"image_base64\" is not valid base64"));
        req.image_bytes = decoded.decoded;
    }
    if (req.image_id.isEmpty() && req.image_bytes.isEmpty())
        return fail(QStringLiteral("give \"image_id\" (from /api/v1/encode) or \"image_base64\""));

    const QJsonValue points = json.value(QStringLiteral("points"));
    if (!points.isUndefined()) {
        if (!points.isArray()) return fail(QStringLiteral("\"points\" must be an array of [x, y, label]"));
        const QJsonArray arr = points.toArray();
        if (arr.size() > 256) return fail(QStringLiteral("\"points\" has more than 256 points"));
        for (qsizetype i = 0; i < arr.size(); ++i) {
            const QJsonArray p = arr[i].toArray();
            double x = 0, y = 0, label = 0;
            if (!arr[i].isArray() || p.size() != 3 || !finite_number(p[0], &x) || !finite_number(p[1], &y) ||
                !finite_number(p[2], &label) || (label != 0.0 && label != 1.0))
                return fail(QStringLiteral("\"points\"[%1] must be [x, y, label] with numbers and label 0 or 1").arg(i));
            req.prompt.points.push_back({float(x), float(y), label == 1.0 ? engine::PointLabel::Positive : engine::PointLabel::Negative});
        }
    }
    const QJsonValue box = json.value(QStringLiteral("box"));
    if (!box.isUndefined() && !box.isNull()) {
        const QJsonArray b = box.toArray();
        double v[4];
        if (!box.isArray() || b.size() != 4 || !finite_number(b[0], &v[0]) || !finite_number(b[1], &v[1]) ||
            !finite_number(b[2], &v[2]) || !finite_number(b[3], &v[3]))
            return fail(QStringLiteral("\"box\" must be [x0, y0, x1, y1] with numbers"));
        if (v[2] < v[0] || v[3] < v[1]) return fail(QStringLiteral("\"box\" must have x1 >= x0 and y1 >= y0"));
        req.prompt.box = engine::BoxPrompt{float(v[0]), float(v[1]), float(v[2]), float(v[3])};
    }
    if (req.prompt.points.empty() && !req.prompt.box) return fail(QStringLiteral("give at least one point or a box"));
    const QJsonValue multimask = json.value(QStringLiteral("multimask"));
    if (!multimask.isUndefined()) {
        if (!multimask.isBool()) return fail(QStringLiteral("\"multimask\" must be true or false"));
        req.prompt.multimask = multimask.toBool();
    }
    return req;
}

QJsonObject to_json(const QString& image_id, const engine::ClickPrompt& prompt) {
    QJsonArray points;
    for (const engine::PointPrompt& p : prompt.points)
        points.append(QJsonArray{p.x, p.y, p.label == engine::PointLabel::Positive ? 1 : 0});
    QJsonObject o{{QStringLiteral("image_id"), image_id},
                  {QStringLiteral("points"), points},
                  {QStringLiteral("multimask"), prompt.multimask}};
    if (prompt.box) o[QStringLiteral("box")] = QJsonArray{prompt.box->x0, prompt.box->y0, prompt.box->x1, prompt.box->y1};
    return o;
}

QJsonObject segment_result_to_json(const QString& image_id, const engine::SegmentResult& result) {
    QJsonArray candidates;
    int width = 0, height = 0;
    for (const engine::MaskCandidate& c : result.candidates) {
        width = c.width;
        height = c.height;
        cv::Mat mask(c.height, c.width, CV_8UC1);
        for (int r = 0; r < c.height; ++r) {
            const std::uint8_t* src = c.mask.data() + std::size_t(r) * c.width;
            std::uint8_t* dst = mask.ptr<std::uint8_t>(r);
            for (int x = 0; x < c.width; ++x) dst[x] = src[x] ? 255 : 0;
        }
        std::vector<std::uint8_t> png;
        cv::imencode(".png", mask, png);
        const annotation::PolygonizeResult polys = annotation::mask_to_polygons(mask);
        QJsonArray polygons;
        for (const annotation::PolygonWithHoles& p : polys.polygons) {
            QJsonArray holes;
            for (const auto& h : p.holes) holes.append(ring_json(h));
            polygons.append(QJsonObject{{QStringLiteral("outer"), ring_json(p.outer)}, {QStringLiteral("holes"), holes}});
        }
        candidates.append(QJsonObject{
            {QStringLiteral("score"), double(c.predicted_iou)},
            {QStringLiteral("area_px"), double(cv::countNonZero(mask))},
            {QStringLiteral("mask_png_base64"),
             QString::fromLatin1(QByteArray(reinterpret_cast<const char*>(png.data()), qsizetype(png.size())).toBase64())},
            {QStringLiteral("polygons"), polygons}});
    }
    return QJsonObject{{QStringLiteral("image_id"), image_id},
                       {QStringLiteral("width"), width},
                       {QStringLiteral("height"), height},
                       {QStringLiteral("object_score_logit"), double(result.object_score_logit)},
                       {QStringLiteral("decode_ms"), result.decode_ms},
                       {QStringLiteral("candidates"), candidates}};
}

std::optional<engine::SegmentResult> segment_result_from_json(const QJsonObject& json, QString* error) {
    engine::SegmentResult result;
    result.object_score_logit = float(d(json, "object_score_logit"));
    result.decode_ms = d(json, "decode_ms");
    const QJsonArray candidates = json.value(QStringLiteral("candidates")).toArray();
    for (qsizetype i = 0; i < candidates.size(); ++i) {
        const QJsonObject c = candidates[i].toObject();
        const QByteArray png = QByteArray::fromBase64(c.value(QStringLiteral("mask_png_base64")).toString().toLatin1());
        const cv::Mat mask = cv::imdecode(cv::Mat(1, int(png.size()), CV_8UC1, const_cast<char*>(png.constData())),
                                          cv::IMREAD_GRAYSCALE);
        if (mask.empty()) {
            if (error) *error = QStringLiteral("candidates[%1]: the mask PNG does not decode").arg(i);
            return std::nullopt;
        }
        engine::MaskCandidate m;
        m.width = mask.cols;
        m.height = mask.rows;
        m.predicted_iou = float(d(c, "score"));
        m.mask.resize(std::size_t(mask.cols) * mask.rows);
        for (int r = 0; r < mask.rows; ++r) {
            const std::uint8_t* src = mask.ptr<std::uint8_t>(r);
            for (int x = 0; x < mask.cols; ++x) m.mask[std::size_t(r) * mask.cols + x] = src[x] ? 1 : 0;
        }
        result.candidates.push_back(std::move(m));
    }
    return result;
}

std::optional<DecodedImage> decode_uploaded_image(const QByteArray& bytes, const QString& name, QString* error) {
    const std::span<const std::uint8_t> view(reinterpret_cast<const std::uint8_t*>(bytes.constData()), std::size_t(bytes.size()));
    const io::ImageReadResult decoded = io::decode_image(view, name.toStdString());
    if (!decoded.ok()) {
        if (error) *error = QString::fromStdString(decoded.error);
        return std::nullopt;
    }
    DecodedImage out;
    out.content_key = QStringLiteral("upload-") + QString::fromStdString(engine::content_hash_hex(view.data(), view.size()));
    out.image = model_rgb_from_bgr(decoded.bgr8);
    return out;
}

QByteArray encode_png(const engine::ImageRgb8& image) {
    cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    std::vector<std::uint8_t> png;
    cv::imencode(".png", bgr, png);
    return QByteArray(reinterpret_cast<const char*>(png.data()), qsizetype(png.size()));
}

}  // namespace samlabel::service::wire
