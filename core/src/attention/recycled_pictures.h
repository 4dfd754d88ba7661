#pragma once
// Internal: zeroed float buffers for the digests' pooled pictures ([H,C,C] per layer), recycled. A run's pictures
// outlive it in its Trace, and in the heap they came from their 2 MB blocks were not reused in place by the
// next run: measured on the 48 x 32-head model at 512 tokens, ~100k page faults per digested run (~200 ms, a
// quarter of a plain forward pass on this 2-core machine), none once recycled. A picture freed with its Trace
// goes back to a pool the next run takes from; the pool holds at most kRecycledBytes, the rest is freed.
#include <torch/types.h>

#include <cstddef>

namespace headlight {

constexpr size_t kRecycledBytes = size_t(512) << 20;

// [H,C,C] float32 zeros on `device`: on the CPU a recycled buffer of that size when the pool has one.
torch::Tensor zeroedPicture(int64_t H, int64_t C, const torch::Device& device);

// Bytes the pool holds now (for tests).
size_t recycledPictureBytes();

} // namespace headlight
