#pragma once
// Internal: the memory a run needs, checked before Engine::run's forward pass, and LibTorch's allocation
// failures during it turned into one line.
#include "headlight/engine.h"

#include <c10/util/Exception.h>
#include <cstdint>

namespace headlight {

// Refuses (headlight::Error) a run of `tokens` tokens that cannot fit in the memory this process may use:
// "capture size" when a run without the per-layer capture would fit, else "input". `streamed`: each captured
// layer is handed on as soon as it is computed; `keepsResiduals`: the residual stream is kept for the next run.
void checkRunFitsMemory(const ModelConfig& config, int64_t tokens, const RunRequest& request, bool streamed, bool keepsResiduals);

// Called from the handler of `e`: an allocation failure becomes an Error "input" naming the number of tokens;
// any other error is rethrown as it was.
[[noreturn]] void rethrowOutOfMemory(const c10::Error& e, int64_t tokens);

} // namespace headlight
