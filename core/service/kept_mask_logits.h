#pragma once
// The low-res mask logits of the control API's latest click answers, kept by
// the server so a client refines a mask by naming it (answer id, candidate)
// instead of receiving and sending back 256 KB of floats per candidate on
// every click. What the SAM tool feeds back after a click is the candidate it
// shows, so a few answers are enough; an older one is forgotten, and a click
// that names it runs without a previous mask (the answer says so).
//
// Ids start at a random value, so an id from an earlier model process (or an
// earlier server) does not name an answer of this one. Thread-safe: answers
// are kept on the model's thread, looked up on the server's.
#include "core/engine/engine_types.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace samlabel::service {

class KeptMaskLogits {
public:
    static constexpr std::size_t kDefaultAnswers = 8;  // at most ~6 MB: 8 x 3 candidates x 256 x 256 floats

    explicit KeptMaskLogits(std::size_t answers = kDefaultAnswers);

    // Keeps the candidates' logits of an answer on `image_id`; its id.
    std::uint64_t keep(const QString& image_id, std::vector<engine::LowResMaskLogits> candidates);
    // The logits of `candidate` of answer `answer_id` on `image_id`; nullopt
    // when forgotten, never kept, or kept for another image.
    std::optional<engine::LowResMaskLogits> find(std::uint64_t answer_id, int candidate, const QString& image_id) const;

private:
    struct Answer {
        std::uint64_t id = 0;
        QString image_id;
        std::vector<engine::LowResMaskLogits> candidates;
    };
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::deque<Answer> answers_;  // oldest first
    std::uint64_t next_id_;
};

}  // namespace samlabel::service
