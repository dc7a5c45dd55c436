#pragma once
// The model's image encodes as a feed a client follows: a server keeps its
// backend's recent imageEncodeStarted / imageEncodeProgress / imageEncoded
// signals, numbered (EncodeEventLog), and answers GET /api/v1/encode-events?after=N
// with the newer ones; /health says the newest number, so a client asks only
// when something happened. That is how the GUI's model process (child mode)
// shows "encoding 40 % (about 3 s left)" for the images it encodes ahead.
// Qt Core only: the client's parser is fuzzed with the other reply parsers.
#include <QJsonObject>
#include <QString>

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

namespace samlabel::service {

struct EncodeEvent {
    enum class Kind { Started, Progress, Finished };
    quint64 seq = 0;  // 1, 2, ... in the order the server saw them
    Kind kind = Kind::Started;
    QString image_id;
    // Progress: step of steps done after elapsed_ms.
    int step = 0;
    int steps = 0;
    double elapsed_ms = 0.0;
    // Finished: "encoded", "cached", "refused", "failed" or "not_loaded"; the message says why it failed.
    QString state;
    double duration_ms = 0.0;
    QString message;
};

// The newest events, oldest first. A progress event replaces the one before it
// when that is the same image's progress too: an encode's few dozen steps stay
// one entry while nobody asked, and a reader still gets the latest figure.
class EncodeEventLog {
public:
    static constexpr std::size_t kDefaultCapacity = 256;
    explicit EncodeEventLog(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

    void started(const QString& image_id);
    void progress(const QString& image_id, int step, int steps, double elapsed_ms);
    void finished(const QString& image_id, const QString& state, double duration_ms, const QString& message);

    quint64 lastSeq() const { return last_seq_; }
    // The events numbered after `after` that are still kept, oldest first.
    std::vector<EncodeEvent> since(quint64 after) const;

private:
    void add(EncodeEvent event);

    std::size_t capacity_;
    std::deque<EncodeEvent> events_;
    quint64 last_seq_ = 0;
};

namespace wire {

// {"last_seq": N, "events": [{"seq", "kind": "started"|"progress"|"finished", "image_id",
//  "step", "steps", "elapsed_ms" (progress), "state", "duration_ms", "message" (finished)}]}
QJsonObject encode_events_to_json(const std::vector<EncodeEvent>& events, quint64 last_seq);
// The events of an answer, in order. nullopt with *error when malformed (not an
// array, an event without an image id or a seq); an event of a kind this client
// does not know is skipped.
std::optional<std::vector<EncodeEvent>> encode_events_from_json(const QJsonObject& json, quint64* last_seq, QString* error);

}  // namespace wire
}  // namespace samlabel::service
