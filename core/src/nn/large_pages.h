#pragma once
// Internal: LibTorch's large CPU tensors reused from run to run and in transparent huge pages
// (tuneAllocatorForRepeatedRuns).

namespace headlight {

// Installs the allocator once (later calls do nothing). Smaller tensors keep LibTorch's own allocator.
void useLargePagesForTensors();

} // namespace headlight
