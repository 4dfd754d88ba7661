#pragma once
// What a run's capture keeps, in bytes, before it runs: Engine::run refuses a capture that cannot fit in memory
// (instead of LibTorch's allocator failing halfway), and a front end can size its capture with it.
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include <cstdint>
#include <string>

namespace headlight {

// Float32 bytes by part (doubles: at 10^6 tokens a [T,T] matrix alone is 4 TB, past what int64 sums safely).
struct CaptureBytes {
    double attention = 0;      // [h,T,T] per captured layer, h = the heads the spec names (every head when none)
    double mechanisms = 0;     // per captured layer: persistent memory's [H,T,N], selective attention's S and F
                               // [T,T], the eviction steps [T] and gates and spans [H]
    double logits = 0;         // [T,V] when CaptureSpec::logits
    double hiddenStates = 0;   // L + 1 arrays [T,D] when CaptureSpec::hiddenStates
    double digests = 0;        // per layer when headStats or pooledSize: four statistics [H], two pooled images [H,C,C] (one when C = T)
    int capturedLayers = 0;
    int capturedHeads = 0;     // h

    double total() const { return attention + mechanisms + logits + hiddenStates + digests; }
    // A run that hands each layer on as it is computed (Engine::run with a LayerSink) holds one layer's part.
    double streamed() const { return total() - perLayer() * (capturedLayers > 1 ? capturedLayers - 1 : 0); }
    double perLayer() const { return capturedLayers > 0 ? (attention + mechanisms) / capturedLayers : 0; }
};

// The capture `spec` keeps for a model of `config` over `tokens` tokens. Layer and head indices outside the
// model count for nothing (Engine::run refuses them by name).
CaptureBytes captureBytes(const ModelConfig& config, int64_t tokens, const CaptureSpec& spec);

// The memory this process can use: the machine's physical memory, or less where the address-space limit
// (ulimit -v) or the control group's memory.max says so. 0 when none of them can be read.
double usableMemoryBytes();

// "106.6 GB", "512.0 MB": for messages.
std::string byteCount(double bytes);

} // namespace headlight
