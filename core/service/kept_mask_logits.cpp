#include "core/service/kept_mask_logits.h"

#include <algorithm>
#include <random>

namespace samlabel::service {

namespace {

// Below 2^52, so every id is exact as a JSON number (a double), with room for
// a long session of clicks above it.
std::uint64_t random_first_id() {
    std::random_device device;
    const std::uint64_t bits = (std::uint64_t(device()) << 32) | device();
    return (std::uint64_t(1) << 40) + bits % ((std::uint64_t(1) << 51) - (std::uint64_t(1) << 40));
}

}  // namespace

KeptMaskLogits::KeptMaskLogits(std::size_t answers) : capacity_(std::max<std::size_t>(1, answers)), next_id_(random_first_id()) {}

std::uint64_t KeptMaskLogits::keep(const QString& image_id, std::vector<engine::LowResMaskLogits> candidates) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::uint64_t id = next_id_++;
    answers_.push_back(Answer{id, image_id, std::move(candidates)});
    while (answers_.size() > capacity_) answers_.pop_front();
    return id;
}

std::optional<engine::LowResMaskLogits> KeptMaskLogits::find(std::uint64_t answer_id, int candidate, const QString& image_id) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const Answer& answer : answers_) {
        if (answer.id != answer_id) continue;
        if (answer.image_id != image_id || candidate < 0 || std::size_t(candidate) >= answer.candidates.size()) return std::nullopt;
        const engine::LowResMaskLogits& logits = answer.candidates[std::size_t(candidate)];
        if (logits.logits.empty()) return std::nullopt;
        return logits;
    }
    return std::nullopt;
}

}  // namespace samlabel::service
