#include "core/service/click_channel_wire.h"

#include <algorithm>
#include <cstring>

namespace samlabel::service::wire {

namespace {

void put_le(QByteArray* out, quint64 value, int bytes) {
    for (int i = 0; i < bytes; ++i) out->append(char((value >> (8 * i)) & 0xff));
}

quint64 get_le(const char* in, int bytes) {
    quint64 value = 0;
    for (int i = 0; i < bytes; ++i) value |= quint64(static_cast<unsigned char>(in[i])) << (8 * i);
    return value;
}

constexpr qsizetype kIdBytes = kChannelIdBytes;
constexpr qsizetype kAnswerHeadBytes = kIdBytes + 2 + 1;
constexpr qsizetype kSharedFrameBodyBytes = 16;

}  // namespace

QByteArray channel_length_prefix(qsizetype payload_bytes) {
    QByteArray prefix;
    put_le(&prefix, quint64(payload_bytes), 4);
    return prefix;
}

QByteArray channel_message(const QByteArray& payload) {
    return channel_length_prefix(payload.size()) + payload;
}

QByteArray channel_request_message(quint64 id, const QByteArray& json) {
    QByteArray out = channel_length_prefix(kIdBytes + json.size());
    out.reserve(4 + kIdBytes + json.size());
    put_le(&out, id, kIdBytes);
    out += json;
    return out;
}

QByteArray channel_answer_head(quint64 id, int status, ChannelBodyKind kind, qsizetype body_bytes) {
    QByteArray out = channel_length_prefix(kAnswerHeadBytes + body_bytes);
    put_le(&out, id, kIdBytes);
    put_le(&out, quint64(status), 2);
    out.append(char(kind));
    return out;
}

QByteArray channel_release_message(quint64 id) {
    QByteArray out = channel_length_prefix(kIdBytes);
    put_le(&out, id, kIdBytes);
    return out;
}

std::optional<quint64> parse_channel_release(const QByteArray& payload) {
    // A request is its id and a JSON body: an id alone is a release.
    if (payload.size() != kIdBytes) return std::nullopt;
    return get_le(payload.constData(), kIdBytes);
}

QByteArray shared_frame_body(SharedFrame frame) {
    QByteArray out;
    put_le(&out, frame.offset, 8);
    put_le(&out, frame.length, 8);
    return out;
}

std::optional<SharedFrame> parse_shared_frame_body(const QByteArray& payload, qsizetype body_offset, quint64 region_bytes,
                                                   QString* error) {
    auto fail = [error](const QString& why) -> std::optional<SharedFrame> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (body_offset < 0 || payload.size() - body_offset != kSharedFrameBodyBytes)
        return fail(QStringLiteral("a shared answer's body of %1 bytes, not 16").arg(payload.size() - body_offset));
    const SharedFrame frame{get_le(payload.constData() + body_offset, 8), get_le(payload.constData() + body_offset + 8, 8)};
    // offset + length may overflow: compare with what is left after the offset.
    if (frame.offset > region_bytes || frame.length > region_bytes - frame.offset)
        return fail(QStringLiteral("a shared answer at %1 + %2 bytes, outside the %3-byte region")
                        .arg(frame.offset)
                        .arg(frame.length)
                        .arg(region_bytes));
    return frame;
}

std::optional<ChannelRequest> parse_channel_request(const QByteArray& payload, QString* error) {
    if (payload.size() < kIdBytes) {
        if (error) *error = QStringLiteral("a click channel request of %1 bytes is shorter than its 8-byte id").arg(payload.size());
        return std::nullopt;
    }
    return ChannelRequest{get_le(payload.constData(), kIdBytes), payload.sliced(kIdBytes)};
}

std::optional<ChannelAnswer> parse_channel_answer(QByteArray payload, QString* error) {
    auto fail = [error](const QString& why) -> std::optional<ChannelAnswer> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (payload.size() < kAnswerHeadBytes)
        return fail(QStringLiteral("a click channel answer of %1 bytes is shorter than its 11-byte head").arg(payload.size()));
    const quint64 id = get_le(payload.constData(), kIdBytes);
    const int status = int(get_le(payload.constData() + kIdBytes, 2));
    const auto kind = static_cast<unsigned char>(payload[kIdBytes + 2]);
    if (status < 100 || status > 599) return fail(QStringLiteral("a click channel answer with HTTP status %1").arg(status));
    if (kind > quint8(ChannelBodyKind::SharedMaskFrame)) return fail(QStringLiteral("a click channel answer of unknown kind %1").arg(kind));
    return ChannelAnswer{id, status, ChannelBodyKind(kind), std::move(payload), kAnswerHeadBytes};
}

ChannelMessageReader::Space ChannelMessageReader::space() {
    if (failed()) return {};
    if (length_filled_ < 4) return {reinterpret_cast<char*>(length_bytes_) + length_filled_, 4 - length_filled_};
    return {message_.data() + message_filled_, message_.size() - message_filled_};
}

bool ChannelMessageReader::commit(qsizetype bytes) {
    if (failed()) return false;
    if (length_filled_ < 4) {
        length_filled_ += int(bytes);
        if (length_filled_ < 4) return true;
        const qsizetype length = qsizetype(get_le(reinterpret_cast<const char*>(length_bytes_), 4));
        if (length > max_bytes_) {
            error_ = QStringLiteral("a message of %1 bytes, more than the %2 allowed").arg(length).arg(max_bytes_);
            return false;
        }
        message_ = QByteArray(length, Qt::Uninitialized);
        message_filled_ = 0;
    } else {
        message_filled_ += bytes;
    }
    if (message_filled_ == message_.size()) {  // whole (an empty message is whole at once)
        ready_.push_back(std::exchange(message_, QByteArray()));
        message_filled_ = 0;
        length_filled_ = 0;
    }
    return true;
}

bool ChannelMessageReader::feed(const char* data, qsizetype bytes) {
    while (bytes > 0) {
        const Space s = space();
        if (!s.data) return false;
        const qsizetype take = std::min(bytes, s.bytes);
        std::memcpy(s.data, data, size_t(take));
        if (!commit(take)) return false;
        data += take;
        bytes -= take;
    }
    return !failed();
}

std::optional<QByteArray> ChannelMessageReader::next() {
    if (ready_.empty()) return std::nullopt;
    QByteArray message = std::move(ready_.front());
    ready_.pop_front();
    return message;
}

}  // namespace samlabel::service::wire
