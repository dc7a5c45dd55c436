#include "core/service/control_api_wire.h"

#include "core/service/control_api_mask_frame.h"
#include "core/service/image_source.h"

#include "core/annotation/mask_geometry.h"
#include "core/engine/embedding_cache.h"
#include "core/io/image_reader.h"
#include "core/io/rgb_pixels.h"

#include <QJsonArray>
#include <QStringList>

#include <opencv2/imgcodecs.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <span>
#include <utility>

namespace samlabel::service::wire {
namespace {

// Replies carry "error" only when they failed; success has none.
void put_error(QJsonObject& o, BackendError error, const QString& message) {
    if (error != BackendError::None) o[QStringLiteral("error")] = QLatin1String(backend_error_name(error));
    if (!message.isEmpty()) o[QStringLiteral("message")] = message;
}
QJsonArray ring_json(const std::vector<annotation::Point>& ring) {
    QJsonArray a;
    for (const annotation::Point& p : ring) a.append(QJsonArray{p.x, p.y});
    return a;
}

// A model mask (width*height, 0 or 1) as the single-channel 0/255 image the answers carry.
cv::Mat mask_255(const std::vector<std::uint8_t>& mask, int width, int height) {
    cv::Mat out(height, width, CV_8UC1);
    for (int r = 0; r < height; ++r) {
        const std::uint8_t* src = mask.data() + std::size_t(r) * width;
        std::uint8_t* dst = out.ptr<std::uint8_t>(r);
        for (int x = 0; x < width; ++x) dst[x] = src[x] ? 255 : 0;
    }
    return out;
}

// One mask's "mask_png_base64".
void put_mask_png(QJsonObject& o, const cv::Mat& mask255) {
    std::vector<std::uint8_t> png;
    cv::imencode(".png", mask255, png);
    o[QStringLiteral("mask_png_base64")] =
        QString::fromLatin1(QByteArray(reinterpret_cast<const char*>(png.data()), qsizetype(png.size())).toBase64());
}

// One mask's "polygons" (outer ring + holes, vertices on boundary pixel centres).
void put_polygons(QJsonObject& o, const cv::Mat& mask255) {
    const annotation::PolygonizeResult polys = annotation::mask_to_polygons(mask255);
    QJsonArray polygons;
    for (const annotation::PolygonWithHoles& p : polys.polygons) {
        QJsonArray holes;
        for (const auto& h : p.holes) holes.append(ring_json(h));
        polygons.append(QJsonObject{{QStringLiteral("outer"), ring_json(p.outer)}, {QStringLiteral("holes"), holes}});
    }
    o[QStringLiteral("polygons")] = polygons;
}

// The same for segment candidates and detections.
void put_mask_png_and_polygons(QJsonObject& o, const cv::Mat& mask255) {
    put_mask_png(o, mask255);
    put_polygons(o, mask255);
}

// A float as the double with its shortest decimal form (0.4f -> 0.4, not
// 0.40000000596): reads as written, and float(the double) is the float again.
double float_json(float v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    if (ec != std::errc()) return double(v);
    double out = 0;
    std::from_chars(buf, end, out);
    return out;
}

QJsonArray box_json(float x0, float y0, float x1, float y1) {
    return QJsonArray{float_json(x0), float_json(y0), float_json(x1), float_json(y1)};
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

QString error_code_for(BackendError error) {
    return error == BackendError::BadInput ? QStringLiteral("bad_request") : QString::fromLatin1(backend_error_name(error));
}

QJsonObject error_json(const QString& code, const QString& message) {
    return QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}};
}

QJsonObject error_json(BackendError error, const QString& message) { return error_json(error_code_for(error), message); }

QJsonObject to_json(const BackendStatus& st) {
    return QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                       {QStringLiteral("model_loaded"), st.model_loaded},
                       {QStringLiteral("state"), st.state},
                       {QStringLiteral("device"), st.device},
                       {QStringLiteral("dtype"), st.dtype},
                       {QStringLiteral("model_path"), st.model_path},
                       {QStringLiteral("parts"), st.parts},
                       {QStringLiteral("vram_used_mb"), st.vram_used_mb},
                       {QStringLiteral("vram_used_known"), st.vram_used_known},
                       {QStringLiteral("vram_total_mb"), st.vram_total_mb},
                       {QStringLiteral("ram_rss_mb"), st.ram_rss_mb}};
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

QJsonObject to_json(const LoadReply& r) {
    QJsonObject o{{QStringLiteral("status"), r.ok() ? QStringLiteral("loaded") : QStringLiteral("not_loaded")},
                  {QStringLiteral("device"), r.device},
                  {QStringLiteral("dtype"), r.dtype},
                  {QStringLiteral("model_path"), r.model_path},
                  {QStringLiteral("parts"), r.parts},
                  {QStringLiteral("duration_ms"), r.duration_ms},
                  {QStringLiteral("rss_before_mb"), r.rss_before_mb},
                  {QStringLiteral("peak_rss_mb"), r.peak_rss_mb},
                  {QStringLiteral("peak_rss_sampled"), r.peak_rss_sampled},
                  {QStringLiteral("rss_after_mb"), r.rss_after_mb},
                  {QStringLiteral("weights_mb"), r.weights_mb}};
    put_error(o, r.error, r.message);
    return o;
}

QJsonObject to_json(const UnloadReply& r) {
    QJsonObject o{{QStringLiteral("status"), r.ok() ? QStringLiteral("unloaded") : QStringLiteral("failed")},
                  {QStringLiteral("was_loaded"), r.was_loaded},
                  {QStringLiteral("freed_vram_mb"), r.freed_vram_mb},
                  {QStringLiteral("freed_ram_mb"), r.freed_ram_mb},
                  {QStringLiteral("vram_after_mb"), r.vram_after_mb},
                  {QStringLiteral("vram_measured"), r.vram_measured},
                  {QStringLiteral("ram_rss_after_mb"), r.ram_rss_after_mb},
                  {QStringLiteral("duration_ms"), r.duration_ms},
                  {QStringLiteral("device"), r.device},
                  {QStringLiteral("embeddings_dropped"), r.embeddings_dropped},
                  {QStringLiteral("automatic"), r.automatic},
                  {QStringLiteral("process_ended"), r.process_ended}};
    put_error(o, r.error, r.message);
    return o;
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

QString mask_encoding_name(MaskEncoding masks) {
    switch (masks) {
        case MaskEncoding::Png: return QStringLiteral("png");
        case MaskEncoding::Raw: return QStringLiteral("raw");
        case MaskEncoding::Runs: return QStringLiteral("runs");
    }
    return {};
}

QJsonObject to_json(const QString& image_id, const engine::ClickPrompt& prompt, MaskEncoding masks, bool polygons) {
    QJsonArray points;
    for (const engine::PointPrompt& p : prompt.points)
        points.append(QJsonArray{p.x, p.y, p.label == engine::PointLabel::Positive ? 1 : 0});
    QJsonObject o{{QStringLiteral("image_id"), image_id},
                  {QStringLiteral("points"), points},
                  {QStringLiteral("multimask"), prompt.multimask}};
    if (masks != MaskEncoding::Png) o[QStringLiteral("masks")] = mask_encoding_name(masks);
    if (!polygons) o[QStringLiteral("polygons")] = false;
    if (prompt.box) o[QStringLiteral("box")] = QJsonArray{prompt.box->x0, prompt.box->y0, prompt.box->x1, prompt.box->y1};
    // Only a mask the server keeps can be named; logits held here have no wire form.
    if (prompt.previous_mask && prompt.previous_mask->kept_by_server)
        o[QStringLiteral("previous_mask")] = QJsonObject{{QStringLiteral("answer_id"), double(prompt.previous_mask->kept_by_server->answer_id)},
                                                         {QStringLiteral("candidate"), prompt.previous_mask->kept_by_server->candidate}};
    return o;
}

QJsonObject segment_result_to_json(const QString& image_id, const engine::SegmentResult& result, MaskEncoding masks, bool polygons) {
    QJsonArray candidates;
    int width = 0, height = 0;
    for (const engine::MaskCandidate& c : result.candidates) {
        width = c.width;
        height = c.height;
        QJsonObject candidate{{QStringLiteral("score"), double(c.predicted_iou)}};
        if (masks != MaskEncoding::Png) {
            // The masks follow the JSON (frame_masks); area_px only in the PNG answer.
            if (polygons) put_polygons(candidate, mask_255(c.mask, c.width, c.height));
        } else {
            const cv::Mat mask = mask_255(c.mask, c.width, c.height);
            candidate[QStringLiteral("area_px")] = double(cv::countNonZero(mask));
            put_mask_png(candidate, mask);
            if (polygons) put_polygons(candidate, mask);
        }
        candidates.append(candidate);
    }
    QJsonObject o{{QStringLiteral("image_id"), image_id},
                  {QStringLiteral("width"), width},
                  {QStringLiteral("height"), height},
                  {QStringLiteral("object_score_logit"), double(result.object_score_logit)},
                  {QStringLiteral("decode_ms"), result.decode_ms},
                  {QStringLiteral("candidates"), candidates}};
    if (masks != MaskEncoding::Png) o[QStringLiteral("masks")] = mask_encoding_name(masks);
    return o;
}

QJsonObject to_json(const QString& image_id, const engine::DetectPrompt& prompt, const engine::DetectOptions& options,
                    bool include_masks) {
    QJsonObject o{{QStringLiteral("image_id"), image_id},
                  {QStringLiteral("threshold"), float_json(options.score_threshold)},
                  {QStringLiteral("mask_threshold"), float_json(options.mask_threshold)},
                  {QStringLiteral("include_masks"), include_masks}};
    if (!prompt.text.empty()) o[QStringLiteral("text")] = QString::fromStdString(prompt.text);
    QJsonArray positive, negative;
    for (const engine::ExemplarBox& b : prompt.boxes) (b.positive ? positive : negative).append(box_json(b.x0, b.y0, b.x1, b.y1));
    if (!positive.isEmpty()) o[QStringLiteral("boxes")] = positive;
    if (!negative.isEmpty()) o[QStringLiteral("negative_boxes")] = negative;
    return o;
}

QJsonObject detect_result_to_json(const QString& image_id, const DetectReply& reply, const engine::DetectPrompt& prompt,
                                  const engine::DetectOptions& options, bool include_masks) {
    const engine::DetectResult& result = reply.result;
    QJsonArray detections;
    for (const engine::Detection& det : result.detections) {
        QJsonObject o{{QStringLiteral("query"), det.query},
                      {QStringLiteral("score"), float_json(det.score)},
                      {QStringLiteral("box"), box_json(det.box.x0, det.box.y0, det.box.x1, det.box.y1)}};
        const bool has_mask = !det.mask.empty() && det.mask.size() == std::size_t(det.width) * det.height;
        if (has_mask) {
            const cv::Mat mask = mask_255(det.mask, det.width, det.height);
            o[QStringLiteral("area_px")] = double(cv::countNonZero(mask));
            if (include_masks) put_mask_png_and_polygons(o, mask);
        } else {
            o[QStringLiteral("area_px")] = 0.0;
        }
        detections.append(o);
    }
    QJsonArray token_ids, query_scores, query_boxes;
    for (std::int64_t id : result.token_ids) token_ids.append(qint64(id));
    for (float score : result.query_scores) query_scores.append(float_json(score));
    for (const engine::BoxPrompt& b : result.query_boxes) query_boxes.append(box_json(b.x0, b.y0, b.x1, b.y1));
    return QJsonObject{{QStringLiteral("image_id"), image_id},
                       {QStringLiteral("width"), reply.width},
                       {QStringLiteral("height"), reply.height},
                       {QStringLiteral("prompt"), QJsonObject{{QStringLiteral("text"), QString::fromStdString(prompt.text)},
                                                              {QStringLiteral("token_count"), qsizetype(result.token_ids.size())},
                                                              {QStringLiteral("token_ids"), token_ids}}},
                       {QStringLiteral("presence_score"), float_json(result.presence_score)},
                       {QStringLiteral("threshold"), float_json(options.score_threshold)},
                       {QStringLiteral("mask_threshold"), float_json(options.mask_threshold)},
                       {QStringLiteral("duration_ms"), reply.duration_ms},
                       {QStringLiteral("text_ms"), result.text_ms},
                       {QStringLiteral("detect_ms"), result.detect_ms},
                       {QStringLiteral("masks_ms"), result.masks_ms},
                       {QStringLiteral("text_cached"), result.text_from_cache},
                       {QStringLiteral("detections"), detections},
                       {QStringLiteral("query_scores"), query_scores},
                       {QStringLiteral("query_boxes"), query_boxes}};
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
    const cv::Mat bgr = io::bgr_from_packed_rgb(image.pixels.data(), image.width, image.height);
    std::vector<std::uint8_t> png;
    cv::imencode(".png", bgr, png);
    return QByteArray(reinterpret_cast<const char*>(png.data()), qsizetype(png.size()));
}

}  // namespace samlabel::service::wire
