#pragma once
// Internal: one check of what a run asks for, before any work, for the engine's runs, the pruning analyses and
// the what-ifs. Each problem is a headlight::Error tagged with the part of the request it is in (ErrorInput), so
// that a front end names the argument that gave it.
#include "headlight/engine.h"

#include <cstdint>
#include <set>
#include <vector>

namespace headlight {

// 1..n_positions ids, each in the vocabulary.
void checkTokenIds(const ModelConfig& c, const std::vector<int64_t>& ids);
// Empty (every head kept), or one value in [0, 1] per head.
void checkHeadMask(const ModelConfig& c, const std::vector<float>& mask);
// Empty (unlimited), or one budget >= 0 per layer of a model whose mechanisms prune context.
void checkContextBudget(const ModelConfig& c, const std::vector<int>& budget);
void checkCaptureLayer(const ModelConfig& c, int layer);
void checkCaptureHeads(const ModelConfig& c, const std::set<int>& heads);
// All of the above for a request, and the capture's pooled size.
void checkRequest(const ModelConfig& c, const RunRequest& request);

} // namespace headlight
