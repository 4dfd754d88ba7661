#pragma once
// The logit lens and attention rollout (docs/head-roles.md): what the model would predict from its residual
// stream after the embeddings and after every layer (the family's final norm and output layer applied there,
// Gemma 2's final soft-cap included), and how attention mixes the tokens through the layers (Abnar & Zuidema
// 2020). Qt-free, torch-free.
#include "headlight/array.h"
#include "headlight/engine.h"
#include "headlight/trace.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace headlight {

using LongArray = NdArray<int64_t>;

struct LensRequest {
    std::vector<int64_t> tokenIds;
    int topK = 5;
    std::vector<float> headMask;   // L*H, 1 keep, 0 pruned; empty = every head
    bool rollout = true;           // also the attention rollout (every head of every layer captured in the pass)
    std::function<void(int done, int layers)> progress;   // may throw to cancel
};

struct LogitLens {
    int rows = 0;        // L + 1: row 0 after the embeddings, row l after layer l-1; row L is the model's output
    int64_t tokens = 0;
    int topK = 0;
    std::vector<int64_t> tokenIds;
    std::vector<std::string> tokenTexts;
    // The token each position is scored against: the next token for causal models (-1 at the last position),
    // the token itself for masked-token models.
    std::vector<int64_t> targets;
    LongArray topIds;      // [rows,T,K] most probable ids, descending
    FloatArray topProbs;   // [rows,T,K]
    FloatArray targetProb;   // [rows,T] probability of targets[i] (NaN where there is none)
    LongArray targetRank;    // [rows,T] 1 = the top prediction; 0 where there is none
    FloatArray rollout;      // [T,T] (empty unless asked for)
};

// Throws headlight::Error: "--top" outside 1..vocabulary size, Engine::run's errors for the ids and mask.
LogitLens logitLens(const Engine& engine, const LensRequest& request);

// Attention rollout: R = Â_{L-1} ... Â_0, Â_l the row-normalised 0.5 * (mean over heads of A_l) + 0.5 * I.
class AttentionRollout {
public:
    explicit AttentionRollout(int64_t tokens);
    // One layer's attention of every head, [H,T,T], layers in order.
    void addLayer(const FloatArray& attention);
    int layers() const { return layers_; }
    FloatArray result() const;   // [T,T] float32

private:
    int64_t T_;
    int layers_ = 0;
    std::vector<double> r_;   // [T,T] row-major
};
// The rollout of a trace that captured every head of every layer; Error("rollout") naming what it lacks.
FloatArray attentionRollout(const Trace& trace, const ModelConfig& config);

// /tokens, /token_ids, /targets, /top_ids, /top_probs, /target_prob, /target_rank, /rollout (docs/trace-format.md).
void writeLensHdf5(const LogitLens& lens, const std::string& path);

} // namespace headlight
