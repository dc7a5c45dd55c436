#pragma once
// INTERNAL (no torch in the header, but only engine .cpp files use it): hands
// freed memory back to the system after an unload. Freeing tensors returns
// their blocks to caches, not to the OS: libtorch's CUDA caching allocator keeps
// them reserved for reuse, and glibc keeps freed heap pages below its trim
// threshold. Without this step an "unloaded" model still shows in nvidia-smi
// and in the process's RSS.
#include <cstdint>

namespace samlabel::engine {

// Empties the CUDA caching allocator (when CUDA is available) and trims the C
// heap (glibc malloc_trim). Safe to call when nothing was allocated.
void release_cached_memory();

// Bytes libtorch's CUDA caching allocator holds reserved on a device (0 without CUDA).
std::uint64_t cuda_reserved_bytes(int device_index);

}  // namespace samlabel::engine
