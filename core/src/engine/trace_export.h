#pragma once
// Internal: a forward pass's tensors as the Trace a run returns (host arrays, no LibTorch type).
#include "headlight/tokenizer.h"
#include "headlight/trace.h"
#include "model/transformer.h"

#include <string>
#include <vector>

namespace headlight {

// A layer's digest as the trace carries it: statistics as means over the T queries.
LayerDigest exportDigest(int layer, const LayerCapture& capture, int64_t tokens);
// A captured layer: the heads asked for (`heads`, ascending) and every mechanism's tensors.
LayerTrace exportLayer(const Transformer& model, int layer, const std::vector<int>& heads, const LayerCapture& capture);
// Each token's display text, or "<id>" without a tokenizer.
std::vector<std::string> tokenTexts(const Tokenizer* tokenizer, const std::vector<int64_t>& ids);
// The same for a translation model's target side (Tokenizer::targetTokenText).
std::vector<std::string> targetTokenTexts(const Tokenizer* tokenizer, const std::vector<int64_t>& ids);

} // namespace headlight
