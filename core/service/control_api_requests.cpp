#include "core/service/control_api_requests.h"

#include "core/engine/device_dtype_names.h"
#include "core/engine/sam3_parts.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QList>
#include <QDir>
#include <QStringList>

#include <cmath>
#include <limits>
#include <utility>

namespace samlabel::service {

RequestFramer::RequestFramer(BodyCapFn body_cap, AuthorizeFn authorize)
    : cap_(std::move(body_cap)), authorize_(std::move(authorize)) {}

std::optional<RequestFramer::Refusal> RequestFramer::feed(const QByteArray& chunk) {
    if (state_ == State::Refused) return std::nullopt;
    qsizetype pos = 0;
    while (pos < chunk.size()) {
        if (state_ == State::Body) {
            const qint64 take = qMin<qint64>(body_left_, chunk.size() - pos);
            body_left_ -= take;
            pos += take;
            if (body_left_ == 0) state_ = State::Headers;
            continue;
        }
        // Headers: accumulate until the blank line.
        const qsizetype before = header_.size();
        const qsizetype scan_from = qMax<qsizetype>(0, before - 3);
        header_.append(chunk.constData() + pos, chunk.size() - pos);
        const qsizetype end = header_.indexOf("\r\n\r\n", scan_from);
        if (end < 0 || end + 4 > kMaxHeaderBytes) {
            if (header_.size() > kMaxHeaderBytes) {
                state_ = State::Refused;
                header_.clear();
                return Refusal{431, "the request header block exceeds 64 KB", 0};
            }
            return std::nullopt;
        }
        pos += end + 4 - before;  // the header's bytes that were in this chunk
        qint64 length = 0;
        std::optional<Refusal> refusal = frame_request(header_.left(end), &length);
        header_.clear();
        if (refusal) {
            // This chunk (its header and body bytes) goes; the rest of the
            // body is discarded as it arrives.
            state_ = State::Refused;
            refusal->drain_bytes = qMax<qint64>(0, length - (chunk.size() - pos));
            return refusal;
        }
        body_left_ = length;
        state_ = length > 0 ? State::Body : State::Headers;
    }
    return std::nullopt;
}

std::optional<RequestFramer::Refusal> RequestFramer::frame_request(const QByteArray& head, qint64* content_length) {
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> request_line = lines.value(0).trimmed().split(' ');
    method_ = request_line.value(0);
    const QByteArray target = request_line.value(1);
    const qsizetype q = target.indexOf('?');
    path_ = q >= 0 ? target.left(q) : target;
    qint64 length = 0;
    bool chunked = false;
    QByteArray authorization;
    bool authorization_seen = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length") {
            bool ok = false;
            length = value.toLongLong(&ok);
            if (!ok || length < 0) length = 0;  // the HTTP parser rejects it itself
        } else if (name == "transfer-encoding" && value.toLower().contains("chunked")) {
            chunked = true;
        } else if (name == "authorization" && !authorization_seen) {
            authorization = value;  // the first one, as QHttpServerRequest::value() reads it
            authorization_seen = true;
        }
    }
    *content_length = 0;
    if (chunked) return Refusal{411, "chunked request bodies are not accepted: send a Content-Length", 0};
    const qint64 cap = cap_(path_);
    *content_length = length;
    if (length > cap)
        return Refusal{413,
                       QByteArray("the body of ") + path_ + " is " + QByteArray::number(length) + " bytes; the limit is " +
                           QByteArray::number(cap) + " bytes",
                       length};
    // The token last: without it nothing is buffered, parsed or handled.
    if (authorize_) {
        if (QByteArray why = authorize_(authorization); !why.isEmpty()) return Refusal{401, std::move(why), length};
    }
    return std::nullopt;
}

std::optional<QJsonObject> parse_request_body(const QByteArray& raw, bool is_post, qint64 cap, RequestError* error) {
    auto fail = [error](int status, const char* code, const QString& message) {
        if (error) *error = RequestError{status, QString::fromLatin1(code), message};
        return std::nullopt;
    };
    if (raw.size() > cap)
        return fail(413, "payload_too_large", QStringLiteral("the body is %1 bytes; the limit is %2 bytes").arg(raw.size()).arg(cap));
    if (!is_post || raw.trimmed().isEmpty()) return QJsonObject();
    QJsonParseError parse{};
    const QJsonDocument doc = QJsonDocument::fromJson(raw, &parse);
    if (parse.error != QJsonParseError::NoError)
        return fail(400, "bad_request", QStringLiteral("malformed JSON at byte %1: %2").arg(parse.offset).arg(parse.errorString()));
    if (!doc.isObject()) return fail(400, "bad_request", QStringLiteral("the body must be a JSON object"));
    return doc.object();
}

namespace wire {
namespace {

// A number a float holds: prompts and boxes are floats, and a double beyond
// FLT_MAX (1e300) would become infinity there (found by fuzz_control_api).
bool finite_number(const QJsonValue& v, double* out) {
    if (!v.isDouble()) return false;
    *out = v.toDouble();
    return std::isfinite(*out) && std::abs(*out) <= double(std::numeric_limits<float>::max());
}

}  // namespace

bool box_from_json(const QJsonValue& v, double out[4]) {
    const QJsonArray b = v.toArray();
    if (!v.isArray() || b.size() != 4) return false;
    for (int i = 0; i < 4; ++i)
        if (!finite_number(b[i], &out[i])) return false;
    return true;
}

// The image a segment or detect request is about: "image_id" (from /encode)
// and/or "image_base64" (the file's bytes). An empty answer when it is fine,
// else what is wrong.
static QString image_source_from_json(const QJsonObject& json, QString* image_id, QByteArray* image_bytes) {
    const QJsonValue id = json.value(QStringLiteral("image_id"));
    if (!id.isUndefined() && !id.isNull()) {
        if (!id.isString() || id.toString().isEmpty()) return QStringLiteral("\"image_id\" must be a non-empty string");
        *image_id = id.toString();
    }
    const QJsonValue b64 = json.value(QStringLiteral("image_base64"));
    if (!b64.isUndefined() && !b64.isNull()) {
        if (!b64.isString()) return QStringLiteral("\"image_base64\" must be a string");
        const auto decoded = QByteArray::fromBase64Encoding(b64.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.isEmpty()) return QStringLiteral("\"image_base64\" is not valid base64");
        *image_bytes = decoded.decoded;
    }
    if (image_id->isEmpty() && image_bytes->isEmpty()) return QStringLiteral("give \"image_id\" (from /api/v1/encode) or \"image_base64\"");
    return {};
}

std::optional<SegmentRequest> parse_segment_request(const QJsonObject& json, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    SegmentRequest req;
    if (QString problem = image_source_from_json(json, &req.image_id, &req.image_bytes); !problem.isEmpty()) return fail(problem);

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
        double v[4];
        if (!box_from_json(box, v)) return fail(QStringLiteral("\"box\" must be [x0, y0, x1, y1] with numbers"));
        if (v[2] < v[0] || v[3] < v[1]) return fail(QStringLiteral("\"box\" must have x1 >= x0 and y1 >= y0"));
        req.prompt.box = engine::BoxPrompt{float(v[0]), float(v[1]), float(v[2]), float(v[3])};
    }
    if (req.prompt.points.empty() && !req.prompt.box) return fail(QStringLiteral("give at least one point or a box"));
    const QJsonValue multimask = json.value(QStringLiteral("multimask"));
    if (!multimask.isUndefined()) {
        if (!multimask.isBool()) return fail(QStringLiteral("\"multimask\" must be true or false"));
        req.prompt.multimask = multimask.toBool();
    }
    const QJsonValue masks = json.value(QStringLiteral("masks"));
    if (!masks.isUndefined() && !masks.isNull()) {
        if (masks == QJsonValue(QStringLiteral("png"))) req.masks = MaskEncoding::Png;
        else if (masks == QJsonValue(QStringLiteral("raw"))) req.masks = MaskEncoding::Raw;
        else if (masks == QJsonValue(QStringLiteral("runs"))) req.masks = MaskEncoding::Runs;
        else return fail(QStringLiteral("\"masks\" must be \"png\", \"raw\" or \"runs\""));
    }
    const QJsonValue polygons = json.value(QStringLiteral("polygons"));
    if (!polygons.isUndefined() && !polygons.isNull()) {
        if (!polygons.isBool()) return fail(QStringLiteral("\"polygons\" must be true or false"));
        req.include_polygons = polygons.toBool();
    }
    const QJsonValue previous = json.value(QStringLiteral("previous_mask"));
    if (!previous.isUndefined() && !previous.isNull()) {
        const QString shape = QStringLiteral("\"previous_mask\" must be {\"answer_id\": N, \"candidate\": K} from an earlier answer");
        if (!previous.isObject()) return fail(shape);
        const QJsonValue id = previous.toObject().value(QStringLiteral("answer_id"));
        const QJsonValue candidate = previous.toObject().value(QStringLiteral("candidate"));
        // Whole numbers a double holds exactly (ids stay below 2^52).
        const auto whole = [](const QJsonValue& v, double most) {
            return v.isDouble() && v.toDouble() >= 0 && v.toDouble() <= most && std::floor(v.toDouble()) == v.toDouble();
        };
        if (!whole(id, 9007199254740992.0) || !whole(candidate, 15)) return fail(shape);
        engine::LowResMaskLogits kept;
        kept.kept_by_server = engine::LowResMaskLogits::KeptByServer{std::uint64_t(id.toDouble()), int(candidate.toDouble())};
        req.prompt.previous_mask = std::move(kept);
    }
    return req;
}

std::optional<DetectRequest> parse_detect_request(const QJsonObject& json, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    static const QStringList kFields = {QStringLiteral("image_id"),       QStringLiteral("image_base64"), QStringLiteral("text"),
                                        QStringLiteral("boxes"),          QStringLiteral("negative_boxes"),
                                        QStringLiteral("threshold"),      QStringLiteral("mask_threshold"),
                                        QStringLiteral("include_masks")};
    // A misspelt "treshold" must not silently fall back to the default.
    for (auto it = json.begin(); it != json.end(); ++it)
        if (!kFields.contains(it.key()))
            return fail(QStringLiteral("unknown field \"%1\" (detect takes %2)").arg(it.key(), kFields.join(QStringLiteral(", "))));
    DetectRequest req;
    if (QString problem = image_source_from_json(json, &req.image_id, &req.image_bytes); !problem.isEmpty()) return fail(problem);

    const QJsonValue text = json.value(QStringLiteral("text"));
    if (!text.isUndefined() && !text.isNull()) {
        if (!text.isString()) return fail(QStringLiteral("\"text\" must be a string"));
        const QByteArray utf8 = text.toString().toUtf8();
        if (utf8.size() > kMaxDetectTextBytes)
            return fail(QStringLiteral("\"text\" is %1 bytes long; a prompt is a few words (the model takes at most 30 tokens)")
                            .arg(utf8.size()));
        // Blank text would be tokenized as a real (empty) phrase, unlike a boxes-only prompt.
        if (!utf8.isEmpty() && text.toString().trimmed().isEmpty())
            return fail(QStringLiteral("\"text\" is blank; leave it out to prompt with boxes alone"));
        req.prompt.text = utf8.toStdString();
    }
    for (const auto& [field, positive] : {std::pair{QStringLiteral("boxes"), true}, std::pair{QStringLiteral("negative_boxes"), false}}) {
        const QJsonValue boxes = json.value(field);
        if (boxes.isUndefined() || boxes.isNull()) continue;
        if (!boxes.isArray()) return fail(QStringLiteral("\"%1\" must be an array of [x0, y0, x1, y1]").arg(field));
        const QJsonArray arr = boxes.toArray();
        if (arr.size() > kMaxDetectBoxes) return fail(QStringLiteral("\"%1\" has more than %2 boxes").arg(field).arg(kMaxDetectBoxes));
        for (qsizetype i = 0; i < arr.size(); ++i) {
            double v[4];
            if (!box_from_json(arr[i], v))
                return fail(QStringLiteral("\"%1\"[%2] must be [x0, y0, x1, y1] with numbers").arg(field).arg(i));
            if (v[2] < v[0] || v[3] < v[1])
                return fail(QStringLiteral("\"%1\"[%2] must have x1 >= x0 and y1 >= y0").arg(field).arg(i));
            req.prompt.boxes.push_back({float(v[0]), float(v[1]), float(v[2]), float(v[3]), positive});
        }
    }
    if (req.prompt.text.empty() && req.prompt.boxes.empty())
        return fail(QStringLiteral("the prompt is empty: give \"text\", at least one box in \"boxes\"/\"negative_boxes\", or both"));
    for (const auto& [field, target] : {std::pair{QStringLiteral("threshold"), &req.options.score_threshold},
                                        std::pair{QStringLiteral("mask_threshold"), &req.options.mask_threshold}}) {
        const QJsonValue v = json.value(field);
        if (v.isUndefined() || v.isNull()) continue;
        double x = 0;
        if (!finite_number(v, &x) || x < 0.0 || x > 1.0) return fail(QStringLiteral("\"%1\" must be a number in [0, 1]").arg(field));
        *target = float(x);
    }
    const QJsonValue include_masks = json.value(QStringLiteral("include_masks"));
    if (!include_masks.isUndefined() && !include_masks.isNull()) {
        if (!include_masks.isBool()) return fail(QStringLiteral("\"include_masks\" must be true or false"));
        req.include_masks = include_masks.toBool();
    }
    return req;
}

std::optional<LoadOptionsRequest> parse_load_request(const QJsonObject& json, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    static const QStringList kFields = {QStringLiteral("weights"), QStringLiteral("device"),           QStringLiteral("dtype"),
                                        QStringLiteral("parts"),   QStringLiteral("keep_free_ram_mb"), QStringLiteral("max_vram_mb")};
    // A misspelt "max_vram" must not silently load without the cap.
    for (auto it = json.begin(); it != json.end(); ++it)
        if (!kFields.contains(it.key()))
            return fail(QStringLiteral("unknown field \"%1\" (load takes %2)").arg(it.key(), kFields.join(QStringLiteral(", "))));
    // A string field's text, or nothing when absent/null; *bad when present but not a non-empty string.
    auto text = [&json](const char* field, bool* bad) -> std::optional<QString> {
        const QJsonValue v = json.value(QLatin1String(field));
        if (v.isUndefined() || v.isNull()) return std::nullopt;
        if (!v.isString() || v.toString().isEmpty()) {
            *bad = true;
            return std::nullopt;
        }
        return v.toString();
    };
    LoadOptionsRequest req;
    bool bad = false;
    if (const auto weights = text("weights", &bad)) {
        if (weights->toUtf8().size() > kMaxWeightsPathBytes)
            return fail(QStringLiteral("\"weights\" is longer than %1 bytes").arg(kMaxWeightsPathBytes));
        if (weights->contains(QChar(0))) return fail(QStringLiteral("\"weights\" contains a NUL character"));
        // Relative to what? The server's working directory means nothing to a client.
        if (!QDir::isAbsolutePath(*weights)) return fail(QStringLiteral("\"weights\" must be an absolute folder path on the server"));
        req.weights = *weights;
    }
    if (bad) return fail(QStringLiteral("\"weights\" must be a non-empty string (a folder on the server)"));
    if (const auto device = text("device", &bad)) {
        req.device = engine::parse_device(device->toStdString());
        if (!req.device) bad = true;
    }
    if (bad) return fail(QStringLiteral("\"device\" must be \"auto\", \"cpu\", \"cuda\" or \"cuda:N\""));
    if (const auto dtype = text("dtype", &bad)) {
        req.dtype = engine::parse_dtype(dtype->toStdString());
        if (!req.dtype) bad = true;
    }
    if (bad) return fail(QStringLiteral("\"dtype\" must be \"auto\", \"fp32\", \"bf16\" or \"fp16\""));
    if (const auto parts = text("parts", &bad)) {
        req.parts = engine::parse_part_set(parts->toStdString());
        if (!req.parts) bad = true;
    }
    if (bad) return fail(QStringLiteral("\"parts\" must be \"click\", \"detect\" or \"click+detect\""));
    for (const auto& [field, target] : {std::pair{QStringLiteral("keep_free_ram_mb"), &req.keep_free_ram_bytes},
                                        std::pair{QStringLiteral("max_vram_mb"), &req.max_vram_bytes}}) {
        const QJsonValue v = json.value(field);
        if (v.isUndefined() || v.isNull()) continue;
        const double mb = v.isDouble() ? v.toDouble() : -1.0;
        if (!std::isfinite(mb) || mb < 0.0 || mb > kMaxBudgetMb)
            return fail(QStringLiteral("\"%1\" must be a number of MB from 0 to %2").arg(field).arg(kMaxBudgetMb, 0, 'f', 0));
        *target = std::uint64_t(std::llround(mb * 1024.0 * 1024.0));
    }
    return req;
}

}  // namespace wire
}  // namespace samlabel::service
