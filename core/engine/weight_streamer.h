#pragma once
// INTERNAL (includes torch): only .cpp files of core/engine include this.
// Streams checkpoint tensors from the memory map into tensors the caller has
// already allocated in the target dtype on the target device, one tensor at a
// time, so the checkpoint is never held in RAM as a whole.
#include "core/engine/checkpoint.h"
#include "core/engine/engine_types.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace samlabel::engine {

struct WeightBinding {
    std::string checkpoint_key;
    torch::Tensor destination;  // already allocated, target dtype/device
};

struct StreamStats {
    std::uint64_t bytes_read = 0;
    std::size_t tensors = 0;
    double seconds = 0;
};

// Validates all bindings first (missing keys, unexpected shape, undefined
// destination: ONE CheckpointError listing every problem), then copies tensor
// by tensor from the map into destination with the dtype cast, releasing each
// tensor's pages after use; progress after each tensor; throws LoadCancelled
// if progress returns false. Copies go in slices of at most
// kStreamSliceBytes so no temporary and no resident span of the map grows
// with the tensor's size.
StreamStats stream_weights(const Checkpoint& checkpoint, const std::vector<WeightBinding>& bindings,
                           const std::function<bool(const LoadProgress&)>& progress);

inline constexpr std::uint64_t kStreamSliceBytes = 64ull * 1024 * 1024;

// The torch dtype of a safetensors dtype.
torch::Dtype torch_dtype_of(TensorDType dtype);

}  // namespace samlabel::engine
