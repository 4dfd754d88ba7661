#pragma once
// What one run of the engine returns: tokens, logits, per-token loss and the captured head internals.
#include "headlight/array.h"

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace headlight {

// Which internals to keep. Capturing copies nothing the forward pass does not already compute, but keeps
// the tensors alive; filter layers and heads to keep long inputs cheap.
struct CaptureSpec {
    bool enabled = true;      // false: no per-layer capture at all
    std::set<int> layers;     // empty = every layer
    std::set<int> heads;      // empty = every head (applies to the per-head [h,T,*] tensors)
    bool logits = true;       // keep the [T,V] logits (the loss is always computed)
    bool hiddenStates = false;   // keep the residual stream, as Trace::hiddenStates
    // Every head of every layer digested in the forward pass (Trace::digests), whatever `layers` and `heads`
    // say: a long input shows all heads' statistics and pictures while keeping one head's [T,T] at most.
    bool headStats = false;   // the four attention statistics (LayerDigest::entropy ... firstToken)
    int pooledSize = 0;       // > 0: each head's matrix pooled to at most this many cells a side (LayerDigest)

    static CaptureSpec none() { CaptureSpec c; c.enabled = false; c.logits = false; return c; }
    bool wantsLayer(int l) const { return enabled && (layers.empty() || layers.count(l)); }
};

struct LayerTrace {
    int layer = 0;
    std::vector<int> heads;            // head indices captured, ascending
    FloatArray attention;              // [h,T,T] final context probabilities (after span, renormalized)
    FloatArray memoryAttention;        // [h,T,N] persistent memory only
    FloatArray gate;                   // [H] deterministic gate value, head gates only
    FloatArray gateOpenProbability;    // [H] P(gate != 0), head gates only
    FloatArray span;                   // [H] z in tokens, adaptive span only
    FloatArray selection;              // [T,T] S, shifted so that F = cumsum(S) over queries; selective only
    FloatArray selectionCumulative;    // [T,T] F, subtracted from every head's logits; selective only
    FloatArray evictedAt;              // [T] the query step that evicted each token, -1 if kept; budgets only

    // Every tensor above with its name in the trace format ("attention", "memory_attention", ...).
    std::vector<std::pair<const char*, const FloatArray*>> named() const;
    std::vector<std::pair<const char*, FloatArray*>> named();
};

// One layer's heads summarised in the forward pass, without keeping their [T,T] matrices. The statistics are
// head_metrics.h's (means over queries i of the row's value); the pooled images cover the matrix in square
// cells of `bin` x `bin` tokens (the last row and column of cells may be narrower): a cell holds the max or
// the mean of the probabilities it covers, hidden (masked) keys counting as 0.
struct LayerDigest {
    int layer = 0;
    FloatArray entropy;        // [H] mean over i of -sum_j p_ij ln p_ij (nats)
    FloatArray maxWeight;      // [H] mean over i of max_j p_ij
    FloatArray meanDistance;   // [H] mean over i of sum_j p_ij |i - j|
    FloatArray firstToken;     // [H] mean over i of p_i0
    int64_t bin = 0;           // tokens per pooled cell along each axis (0: no pooled images)
    FloatArray pooledMax;      // [H,C,C], C = ceil(T / bin)
    FloatArray pooledMean;     // [H,C,C]
};

// The cell width that pools T tokens into at most `maxCells` cells a side: ceil(T / maxCells).
int64_t pooledBin(int64_t tokens, int64_t maxCells);

struct Timings {
    double forwardMs = 0;   // the model's forward pass, capture included
    double lossMs = 0;      // log-softmax and next-token loss
    double exportMs = 0;    // moving captured tensors to host value arrays
    int firstLayerRun = 0;  // incremental recomputation started at this layer (0 = full forward pass)
    double totalMs() const { return forwardMs + lossMs + exportMs; }
};

struct Trace {
    std::vector<int64_t> tokenIds;
    std::vector<std::string> tokens;   // display text per token (empty strings without a tokenizer)
    FloatArray logits;                 // [T,V] (empty unless CaptureSpec::logits)
    FloatArray loss;                   // [T-1] next-token negative log-likelihood, natural log (empty for BERT)
    std::string objective = "next token";   // or "masked token" (BERT: predictions at [MASK] positions, no loss)
    FloatArray headMask;               // [L,H] 1 = keep, 0 = pruned
    std::vector<int> contextBudget;    // per layer, the tokens it kept at most (selective attention); empty = unlimited
    std::vector<LayerTrace> layers;    // captured layers, ascending
    // With CaptureSpec::hiddenStates, L + 1 arrays [T,D] as Hugging Face's output_hidden_states: entry l < L is
    // the residual stream entering layer l (entry 0: the embeddings), entry L the output of the final norm.
    std::vector<FloatArray> hiddenStates;
    std::vector<LayerDigest> digests;  // CaptureSpec::headStats or pooledSize: one per layer, ascending
    std::string device;
    Timings timings;

    double meanLoss() const;           // NaN for a single token
    const LayerTrace* layer(int l) const;
    const LayerDigest* digest(int l) const;
};

} // namespace headlight
