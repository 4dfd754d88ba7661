#include "headlight/runtime.h"

#include "nn/large_pages.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace headlight {

void tuneAllocatorForRepeatedRuns() {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);    // glibc's maximum: blocks below it come from the heap
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);  // keep up to 1 GiB of freed heap for the next run
#endif
    useLargePagesForTensors();
}

} // namespace headlight
