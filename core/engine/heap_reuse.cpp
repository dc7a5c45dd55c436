#include "core/engine/heap_reuse.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <mutex>

namespace samlabel::engine {

void keep_freed_cpu_memory_for_reuse() {
#if defined(__GLIBC__)
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 64 << 20);
    });
#endif
}

}  // namespace samlabel::engine
