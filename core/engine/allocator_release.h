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

// Makes glibc keep freed blocks for reuse between inferences (fixed mmap
// threshold 32 MiB, heap-top trim threshold 64 MiB) instead of unmapping them
// and page-faulting fresh zeroed pages into the next tensor of the same size.
// Measured (SAM3 bf16, 2 threads): encode 12.9 -> 11.3 s, click p95 15.1 ->
// 13.0 ms, peak RSS unchanged; at most 64 MiB more stays mapped between clicks,
// and release_cached_memory() still trims everything on Unload. Once per
// process; a no-op off glibc.
void keep_freed_cpu_memory_for_reuse();

// Bytes libtorch's CUDA caching allocator holds reserved on a device (0 without CUDA).
std::uint64_t cuda_reserved_bytes(int device_index);

}  // namespace samlabel::engine
