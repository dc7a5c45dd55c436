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
    std::uint64_t bytes_mapped = 0;    // bound to the map itself (zero-copy), not copied
    std::size_t tensors_mapped = 0;
    double seconds = 0;
};

enum class WeightPlacement {
    Copy,          // every tensor copied (cast) into its destination's own memory
    MapWhereSame,  // CPU destinations whose dtype is the stored one use the mapped bytes themselves
};

// Validates all bindings first (missing keys, unexpected shape, undefined
// destination: ONE CheckpointError listing every problem), then copies tensor
// by tensor from the map into destination with the dtype cast, releasing each
// tensor's pages after use; progress after each tensor; throws LoadCancelled
// if progress returns false. Copies go in slices of at most
// kStreamSliceBytes so no temporary and no resident span of the map grows
// with the tensor's size.
//
// With MapWhereSame, a contiguous CPU destination whose dtype is the stored
// one (and whose bytes are aligned) is not copied: its storage becomes the
// mapped bytes (Tensor::set_ on the destination, so a module's parameter IS
// the file's data). The map is read-only: such tensors must never be written.
// Each one holds the mapping, which stays until the last of them is freed.
// Mapped pages are file-backed: the OS may drop them under memory pressure and
// read them again, where copied weights would have to go to swap.
StreamStats stream_weights(const Checkpoint& checkpoint, const std::vector<WeightBinding>& bindings,
                           const std::function<bool(const LoadProgress&)>& progress,
                           WeightPlacement placement = WeightPlacement::Copy);

inline constexpr std::uint64_t kStreamSliceBytes = 64ull * 1024 * 1024;

// The torch dtype of a safetensors dtype.
torch::Dtype torch_dtype_of(TensorDType dtype);

}  // namespace samlabel::engine
