#pragma once
// Keeping freed CPU memory for reuse (torch-free; the model and the GUI's
// model-process backend both call it). glibc's allocator by default hands
// freed blocks of a few MB back to the system (its dynamic mmap threshold,
// and a heap-top trim at twice the largest block freed), so the next buffer
// of the same size page-faults in fresh zeroed pages, on this VM about 1.3 us
// a page. Per click that is the decoder's intermediates (in this process's
// model) and the three masks an answer from a model process or a server is
// unpacked into (three 1280x960 masks: 868 page faults, 1.5 ms instead of
// 0.34 ms).
namespace samlabel::engine {

// Fixes glibc's mmap threshold at 32 MiB and its heap-top trim threshold at
// 64 MiB. Measured (SAM3 bf16, 2 threads): encode 12.9 -> 11.3 s, click p95
// 15.1 -> 13.0 ms, peak RSS unchanged; at most 64 MiB more stays mapped
// between clicks, and Unload's malloc_trim(0) still gives everything back.
// Once per process (later calls do nothing); a no-op off glibc.
void keep_freed_cpu_memory_for_reuse();

}  // namespace samlabel::engine
