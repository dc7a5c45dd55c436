#include "core/service/encode_events.h"

#include <QJsonArray>

#include <cmath>

namespace samlabel::service {

namespace {

const char* kind_name(EncodeEvent::Kind kind) {
    switch (kind) {
        case EncodeEvent::Kind::Started: return "started";
        case EncodeEvent::Kind::Progress: return "progress";
        case EncodeEvent::Kind::Finished: return "finished";
    }
    return "finished";
}

// A sequence number from JSON: a whole number in 1 .. 2^53 (exact as a double), else 0.
quint64 seq_from(const QJsonValue& v) {
    const double d = v.toDouble(-1.0);
    if (!(d >= 1.0 && d <= 9007199254740992.0) || std::floor(d) != d) return 0;
    return quint64(d);
}

double finite_or_zero(const QJsonValue& v) {
    const double d = v.toDouble();
    return std::isfinite(d) ? d : 0.0;
}

}  // namespace

void EncodeEventLog::add(EncodeEvent event) {
    event.seq = ++last_seq_;
    events_.push_back(std::move(event));
    while (events_.size() > capacity_) events_.pop_front();
}

void EncodeEventLog::started(const QString& image_id) {
    EncodeEvent e;
    e.kind = EncodeEvent::Kind::Started;
    e.image_id = image_id;
    add(std::move(e));
}

void EncodeEventLog::progress(const QString& image_id, int step, int steps, double elapsed_ms) {
    EncodeEvent e;
    e.kind = EncodeEvent::Kind::Progress;
    e.image_id = image_id;
    e.step = step;
    e.steps = steps;
    e.elapsed_ms = elapsed_ms;
    if (!events_.empty() && events_.back().kind == EncodeEvent::Kind::Progress && events_.back().image_id == image_id)
        events_.pop_back();  // superseded by this one (it gets a new number, so a reader that had the old one sees it)
    add(std::move(e));
}

void EncodeEventLog::finished(const QString& image_id, const QString& state, double duration_ms, const QString& message) {
    EncodeEvent e;
    e.kind = EncodeEvent::Kind::Finished;
    e.image_id = image_id;
    e.state = state;
    e.duration_ms = duration_ms;
    e.message = message;
    add(std::move(e));
}

std::vector<EncodeEvent> EncodeEventLog::since(quint64 after) const {
    std::vector<EncodeEvent> out;
    for (const EncodeEvent& e : events_)
        if (e.seq > after) out.push_back(e);
    return out;
}

namespace wire {

QJsonObject encode_events_to_json(const std::vector<EncodeEvent>& events, quint64 last_seq) {
    QJsonArray list;
    for (const EncodeEvent& e : events) {
        QJsonObject o{{QStringLiteral("seq"), double(e.seq)},
                      {QStringLiteral("kind"), QLatin1String(kind_name(e.kind))},
                      {QStringLiteral("image_id"), e.image_id}};
        if (e.kind == EncodeEvent::Kind::Progress) {
            o[QStringLiteral("step")] = e.step;
            o[QStringLiteral("steps")] = e.steps;
            o[QStringLiteral("elapsed_ms")] = e.elapsed_ms;
        } else if (e.kind == EncodeEvent::Kind::Finished) {
            o[QStringLiteral("state")] = e.state;
            o[QStringLiteral("duration_ms")] = e.duration_ms;
            o[QStringLiteral("message")] = e.message;
        }
        list.append(o);
    }
    return QJsonObject{{QStringLiteral("last_seq"), double(last_seq)}, {QStringLiteral("events"), list}};
}

std::optional<std::vector<EncodeEvent>> encode_events_from_json(const QJsonObject& json, quint64* last_seq, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    const QJsonValue events = json.value(QStringLiteral("events"));
    if (!events.isArray()) return fail(QStringLiteral("the encode events answer has no \"events\" array"));
    if (last_seq) *last_seq = seq_from(json.value(QStringLiteral("last_seq")));
    std::vector<EncodeEvent> out;
    const QJsonArray list = events.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QJsonObject o = list[i].toObject();
        EncodeEvent e;
        e.seq = seq_from(o.value(QStringLiteral("seq")));
        e.image_id = o.value(QStringLiteral("image_id")).toString();
        if (!list[i].isObject() || e.seq == 0 || e.image_id.isEmpty())
            return fail(QStringLiteral("encode event %1 has no \"seq\" (a whole number >= 1) or no \"image_id\"").arg(i));
        const QString kind = o.value(QStringLiteral("kind")).toString();
        if (kind == QLatin1String("started")) {
            e.kind = EncodeEvent::Kind::Started;
        } else if (kind == QLatin1String("progress")) {
            e.kind = EncodeEvent::Kind::Progress;
            e.step = o.value(QStringLiteral("step")).toInt();
            e.steps = o.value(QStringLiteral("steps")).toInt();
            e.elapsed_ms = finite_or_zero(o.value(QStringLiteral("elapsed_ms")));
        } else if (kind == QLatin1String("finished")) {
            e.kind = EncodeEvent::Kind::Finished;
            e.state = o.value(QStringLiteral("state")).toString();
            e.duration_ms = finite_or_zero(o.value(QStringLiteral("duration_ms")));
            e.message = o.value(QStringLiteral("message")).toString();
        } else {
            continue;  // a newer server's kind of event
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace wire
}  // namespace samlabel::service
