#pragma once
// Process-wide settings for programs that run the engine repeatedly (the app, the CLI, benchmarks).

namespace headlight {

// glibc keeps freed memory for reuse instead of returning it to the system at once, and LibTorch's CPU tensors of
// 256 KiB and more are kept when freed (up to 1 GiB) for the next tensor of their size, those of 2 MiB and more in
// transparent huge pages (nn/large_pages.cpp): the next run's activations, logits and attention land on pages that
// are already mapped. Page faults were most of the capture overhead and half of a forward pass on the CPU (GPT-2
// small at 512 tokens: plain pass 1361 -> 847 ms, every head captured 1.29x -> 1.03x a plain pass; docs/
// architecture.md, Speed). Call once, early, before the first tensor.
void tuneAllocatorForRepeatedRuns();

} // namespace headlight
