#pragma once
// The click channel's messages (docs/control-api.md, "Click channel"), as pure
// functions (Qt Core only): the GUI's model process answers segment calls on
// a local socket as well as over HTTP, because a click's way through
// QNetworkAccessManager and QHttpServer costs more than the model's decoder on
// a small checkpoint. Both directions are a stream of messages, each a 4-byte
// little-endian length and that many bytes:
//  * the client's first message is the token; the server answers one JSON
//    message, the hello {"channel": "clicks", "version": 1}, or an error
//    {"error", "message"} before it closes the connection;
//  * then each request: an 8-byte request id (little-endian, the client's
//    choice), then the JSON body of a POST /api/v1/segment;
//  * each answer: the request's id, a 2-byte HTTP status, a 1-byte kind
//    (0: a JSON body, 1: a mask frame, control_api_mask_frame.h), then the
//    body as HTTP would carry it. Answers may come in any order.
// Shared answers, for a client on the same machine that wants them: the hello
// may offer a shared memory region ("shared_answers": {"name", "bytes"},
// engine/platform/shared_memory_region.h). A client that mapped it says so
// with a release of id 0 (below); from then on the server may put a mask
// frame in the region instead of the stream: an answer of kind 2 whose body
// is the frame's offset and length in the region (8 bytes each). The client
// reads it, then releases it: a message of the answer's 8-byte id alone. A
// frame that does not fit beside the ones not released yet goes in the stream,
// as does the answer to a request of id 0.
#include <QByteArray>
#include <QString>

#include <deque>
#include <optional>

namespace samlabel::service::wire {

inline constexpr int kClickChannelVersion = 1;
// Before the token is accepted, a message may hold a token and no more.
inline constexpr qsizetype kMaxChannelTokenMessageBytes = 4096;
// A click's JSON is well under 1 KB; images never travel on the channel.
inline constexpr qsizetype kMaxChannelRequestBytes = 1 << 20;
// Requests of one connection waiting for their answers (a client that sends
// more is refused: each holds the model's queue and the answer's memory).
inline constexpr int kMaxChannelRequestsInFlight = 32;

enum class ChannelBodyKind : quint8 { Json = 0, MaskFrame = 1, SharedMaskFrame = 2 };
inline constexpr qsizetype kChannelIdBytes = 8;

// The 4-byte length before a payload.
QByteArray channel_length_prefix(qsizetype payload_bytes);
// A whole message: the prefix and the payload.
QByteArray channel_message(const QByteArray& payload);
QByteArray channel_request_message(quint64 id, const QByteArray& json);
// An answer's prefix and head (id, status, kind); its body follows as is.
QByteArray channel_answer_head(quint64 id, int status, ChannelBodyKind kind, qsizetype body_bytes);
// A client's release of a shared answer (id 0: "I read shared answers").
QByteArray channel_release_message(quint64 id);
// After the token: the id a release names, or nullopt when the payload is a request.
std::optional<quint64> parse_channel_release(const QByteArray& payload);

// Where a shared answer's frame lies in the region.
struct SharedFrame {
    quint64 offset = 0;
    quint64 length = 0;
};
QByteArray shared_frame_body(SharedFrame frame);
// nullopt, with *error saying why, for a body that is not 16 bytes or a frame
// that does not lie inside a region of region_bytes.
std::optional<SharedFrame> parse_shared_frame_body(const QByteArray& payload, qsizetype body_offset, quint64 region_bytes,
                                                   QString* error);

struct ChannelRequest {
    quint64 id = 0;
    QByteArray json;
};
// nullopt, with *error saying why, when the payload is shorter than an id.
std::optional<ChannelRequest> parse_channel_request(const QByteArray& payload, QString* error);

struct ChannelAnswer {
    quint64 id = 0;
    int status = 0;
    ChannelBodyKind kind = ChannelBodyKind::Json;
    QByteArray payload;         // the whole message (the body is not copied out)
    qsizetype body_offset = 0;  // where the body starts in payload
};
// nullopt, with *error saying why, for a payload shorter than its head, a
// status outside 100..599 or an unknown kind.
std::optional<ChannelAnswer> parse_channel_answer(QByteArray payload, QString* error);

// Cuts a byte stream into messages. The bytes go straight into the message
// they belong to (space() / commit()), so a 460 KB mask frame is copied once
// on its way out of the socket. A message claiming more than the cap stops
// the reader for good (the stream can no longer be followed).
class ChannelMessageReader {
public:
    explicit ChannelMessageReader(qsizetype max_message_bytes) : max_bytes_(max_message_bytes) {}
    void setMaxMessageBytes(qsizetype bytes) { max_bytes_ = bytes; }

    struct Space {
        char* data = nullptr;
        qsizetype bytes = 0;  // at most this many belong to the current length or message
    };
    // Where the next bytes of the stream go (never empty unless failed()).
    Space space();
    // `bytes` (at most space().bytes) were written at space().data. False once a
    // message claims more than the cap (error() says how much).
    bool commit(qsizetype bytes);
    // The same, from a buffer (tests, fuzzing, small reads).
    bool feed(const char* data, qsizetype bytes);

    // The oldest whole message not taken yet.
    std::optional<QByteArray> next();
    bool failed() const { return !error_.isEmpty(); }
    QString error() const { return error_; }

private:
    qsizetype max_bytes_;
    unsigned char length_bytes_[4] = {};
    int length_filled_ = 0;
    QByteArray message_;        // the message being filled (sized to its length)
    qsizetype message_filled_ = 0;
    std::deque<QByteArray> ready_;  // whole messages not taken yet
    QString error_;
};

}  // namespace samlabel::service::wire
