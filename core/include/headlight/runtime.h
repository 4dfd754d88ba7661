#pragma once
// Process-wide settings for programs that run the engine repeatedly (the app, the CLI, benchmarks).

namespace headlight {

// glibc keeps freed memory for reuse instead of returning it to the system at once, so the next run's
// attention tensors land on pages that are already mapped (measured on GPT-2 small at 512 tokens: page
// faults were most of the capture overhead). No effect on other C libraries. Call once, early.
void tuneAllocatorForRepeatedRuns();

} // namespace headlight
