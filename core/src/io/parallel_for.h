#pragma once
// Internal: work items spread over the machine's hardware threads (loading a model's weights).
#include <cstddef>
#include <functional>

namespace headlight {

// Runs work(0) ... work(count - 1), each once, on as many threads as the machine has (at least 2, the calling
// thread one of them), and returns when all are done. Items are taken in increasing order. When items throw, the
// exception of the lowest-numbered one is rethrown once every thread has stopped; items not yet begun then never
// run. Every item below the one whose exception is rethrown ran, so which error comes out does not depend on timing.
void parallelFor(size_t count, const std::function<void(size_t item)>& work);

} // namespace headlight
