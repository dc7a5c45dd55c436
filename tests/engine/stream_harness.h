#pragma once
// Test helper: drives the internal weight streamer (which speaks torch) from
// Qt Test files (which must not include torch). Destinations are allocated
// here, filled with a sentinel, and read back as plain numbers.
#include "core/engine/checkpoint.h"
#include "core/engine/engine_types.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace samlabel::test {

struct DestinationSpec {
    std::string key;
    std::vector<std::int64_t> shape;
};

enum class TargetDType { F32, BF16, F16 };

struct StreamOutcome {
    bool cancelled = false;
    bool failed = false;             // a CheckpointError
    std::string error;               // its what()
    std::string error_tensor;        // its tensor()
    std::uint64_t bytes_read = 0;    // StreamStats of a completed run
    std::size_t tensors = 0;
    std::vector<engine::LoadProgress> progress_calls;
};

class StreamHarness {
public:
    // device: "cpu" or "cuda:N". Destinations are filled with `fill`, so an
    // untouched destination is recognisable afterwards.
    StreamHarness(const std::vector<DestinationSpec>& destinations, TargetDType dtype, const std::string& device = "cpu",
                  float fill = std::numeric_limits<float>::quiet_NaN());
    // Without filling: pages stay untouched until the streamer writes them
    // (for resident-set measurements).
    static std::unique_ptr<StreamHarness> unfilled(const std::vector<DestinationSpec>& destinations, TargetDType dtype);
    ~StreamHarness();

    // Progress returns false on call number `cancel_on_call` (1-based; 0 never).
    StreamOutcome run(const engine::Checkpoint& checkpoint, std::size_t cancel_on_call = 0);

    std::vector<float> values(std::size_t index) const;           // destination converted to float
    std::vector<std::uint16_t> raw16(std::size_t index) const;    // bits of a 16-bit destination
    std::uint64_t destination_bytes() const;
    void drop_destinations();

private:
    StreamHarness();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Round-to-nearest-even float -> bfloat16 bits, written independently of torch.
inline std::uint16_t reference_bf16_bits(float value) {
    std::uint32_t bits;
    static_assert(sizeof bits == sizeof value);
    __builtin_memcpy(&bits, &value, 4);
    if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu)) return static_cast<std::uint16_t>((bits >> 16) | 0x40);
    const std::uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

}  // namespace samlabel::test
