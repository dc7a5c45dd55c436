// torch side of the streamer test harness (no Qt in this file).
#include "tests/engine/stream_harness.h"

#include "core/engine/weight_streamer.h"

#include <cstring>

namespace samlabel::test {

struct StreamHarness::Impl {
    std::vector<DestinationSpec> specs;
    std::vector<torch::Tensor> destinations;
};

namespace {

torch::Dtype to_torch(TargetDType dtype) {
    switch (dtype) {
        case TargetDType::F32: return torch::kFloat32;
        case TargetDType::BF16: return torch::kBFloat16;
        case TargetDType::F16: return torch::kFloat16;
    }
    return torch::kFloat32;
}

}  // namespace

StreamHarness::StreamHarness() : impl_(std::make_unique<Impl>()) {}

StreamHarness::StreamHarness(const std::vector<DestinationSpec>& destinations, TargetDType dtype, const std::string& device,
                             float fill)
    : impl_(std::make_unique<Impl>()) {
    impl_->specs = destinations;
    const auto options = torch::TensorOptions().dtype(to_torch(dtype)).device(torch::Device(device));
    for (const DestinationSpec& spec : destinations) impl_->destinations.push_back(torch::full(spec.shape, fill, options));
}

std::unique_ptr<StreamHarness> StreamHarness::unfilled(const std::vector<DestinationSpec>& destinations, TargetDType dtype) {
    std::unique_ptr<StreamHarness> harness(new StreamHarness());
    harness->impl_->specs = destinations;
    for (const DestinationSpec& spec : destinations)
        harness->impl_->destinations.push_back(torch::empty(spec.shape, torch::TensorOptions().dtype(to_torch(dtype))));
    return harness;
}

StreamHarness::~StreamHarness() = default;

StreamOutcome StreamHarness::run(const engine::Checkpoint& checkpoint, std::size_t cancel_on_call) {
    std::vector<engine::WeightBinding> bindings;
    for (std::size_t i = 0; i < impl_->specs.size(); ++i) bindings.push_back({impl_->specs[i].key, impl_->destinations[i]});
    StreamOutcome outcome;
    auto progress = [&](const engine::LoadProgress& p) {
        outcome.progress_calls.push_back(p);
        return cancel_on_call == 0 || outcome.progress_calls.size() != cancel_on_call;
    };
    try {
        const engine::StreamStats stats = engine::stream_weights(checkpoint, bindings, progress);
        outcome.bytes_read = stats.bytes_read;
        outcome.tensors = stats.tensors;
    } catch (const engine::LoadCancelled&) {
        outcome.cancelled = true;
    } catch (const engine::CheckpointError& e) {
        outcome.failed = true;
        outcome.error = e.what();
        outcome.error_tensor = e.tensor();
    }
    return outcome;
}

std::vector<float> StreamHarness::values(std::size_t index) const {
    const torch::Tensor t = impl_->destinations.at(index).to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

std::vector<std::uint16_t> StreamHarness::raw16(std::size_t index) const {
    const torch::Tensor t = impl_->destinations.at(index).to(torch::kCPU).contiguous();
    if (t.element_size() != 2) return {};
    std::vector<std::uint16_t> bits(static_cast<std::size_t>(t.numel()));
    std::memcpy(bits.data(), t.data_ptr(), bits.size() * 2);
    return bits;
}

std::uint64_t StreamHarness::destination_bytes() const {
    std::uint64_t total = 0;
    for (const torch::Tensor& t : impl_->destinations) total += static_cast<std::uint64_t>(t.nbytes());
    return total;
}

void StreamHarness::drop_destinations() { impl_->destinations.clear(); }

}  // namespace samlabel::test
