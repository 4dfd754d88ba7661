#pragma once
// What one run of the engine returns: tokens, logits, per-token loss and the captured head internals.
#include "headlight/array.h"

#include <cstdint>
#include <limits>
#include <map>
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
    // Every head's role scores (headlight/head_roles.h) measured in the same pass, block by block, into
    // Trace::roleScores. `rareKeys`: per query, the key the rare_token role reads (rareTokenKeys), empty: none.
    bool roles = false;
    std::vector<int64_t> rareKeys;

    static CaptureSpec none() { CaptureSpec c; c.enabled = false; c.logits = false; return c; }
    bool wantsLayer(int l) const { return enabled && (layers.empty() || layers.count(l)); }
};

// One captured layer: the heads' attention, and every tensor the model's mechanisms hand out, by its name in the
// trace format (docs/trace-format.md; the names are in headlight/mechanisms/: "gate", "span", "selection", ...).
struct LayerTrace {
    int layer = 0;
    std::vector<int> heads;            // head indices captured, ascending
    FloatArray attention;              // [h,T,T] final context probabilities (after any span, renormalized)
    std::map<std::string, FloatArray> tensors;   // the mechanisms' captures, by name

    // The tensor of that name, or an empty array when the layer has none.
    const FloatArray& operator[](const std::string& name) const {
        static const FloatArray kNone;
        const auto it = tensors.find(name);
        return it == tensors.end() ? kNone : it->second;
    }
    FloatArray& operator[](const std::string& name) { return tensors[name]; }
    bool has(const std::string& name) const { return !(*this)[name].empty(); }
    // "attention" and every named tensor, in name order: what a trace file holds for the layer.
    std::vector<std::pair<std::string, const FloatArray*>> named() const {
        std::vector<std::pair<std::string, const FloatArray*>> out{{"attention", &attention}};
        for (const auto& [name, array] : tensors) out.emplace_back(name, &array);
        return out;
    }
};

// The name of a decoder layer's cross-attention [h,T,S] among LayerTrace::tensors.
inline constexpr const char* kCrossAttention = "cross_attention";

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

    // Every array above with its name in the trace format (/digests/<l>/<name>).
    std::vector<std::pair<std::string, const FloatArray*>> named() const {
        return {{"entropy", &entropy}, {"max_weight", &maxWeight}, {"mean_distance", &meanDistance},
                {"first_token", &firstToken}, {"pooled_max", &pooledMax}, {"pooled_mean", &pooledMean}};
    }
    std::vector<std::pair<std::string, FloatArray*>> named() {
        return {{"entropy", &entropy}, {"max_weight", &maxWeight}, {"mean_distance", &meanDistance},
                {"first_token", &firstToken}, {"pooled_max", &pooledMax}, {"pooled_mean", &pooledMean}};
    }
};

// The cell width that pools T tokens into at most `maxCells` cells a side: ceil(T / maxCells).
inline int64_t pooledBin(int64_t tokens, int64_t maxCells) {
    if (tokens <= 0 || maxCells <= 0) return 1;
    return (tokens + maxCells - 1) / maxCells;
}

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
    // CaptureSpec::roles: one [R,H] per layer, ascending, R the measured roles in kMeasuredRoles order
    // (headlight/head_roles.h); NaN where no query qualifies for the role.
    std::vector<FloatArray> roleScores;
    // Encoder-decoder models: the encoder's input, its layers' self-attention (LayerTrace::attention [h,S,S]),
    // and the head masks of encoder self-attention [Le,H] and of cross-attention [L,H]. tokenIds, tokens, logits,
    // loss, headMask and `layers` are then the decoder's: its self-attention [h,T,T] and, by the name
    // kCrossAttention, its attention to the encoder's output [h,T,S] (target rows, source columns).
    std::vector<int64_t> sourceIds;
    std::vector<std::string> sourceTokens;
    std::vector<LayerTrace> encoderLayers;
    FloatArray encoderHeadMask;
    FloatArray crossHeadMask;
    bool isEncoderDecoder() const { return !sourceIds.empty(); }
    std::string device;
    Timings timings;

    // NaN for a single token.
    double meanLoss() const {
        if (loss.empty()) return std::numeric_limits<double>::quiet_NaN();
        double sum = 0;
        for (float x : loss) sum += x;
        return sum / static_cast<double>(loss.size());
    }
    const LayerTrace* layer(int l) const {
        for (const auto& t : layers)
            if (t.layer == l) return &t;
        return nullptr;
    }
    const LayerDigest* digest(int l) const {
        for (const auto& d : digests)
            if (d.layer == l) return &d;
        return nullptr;
    }
};

} // namespace headlight
