#pragma once
// What the views draw: one run of one model, as shared immutable values (cheap to copy through signals).
#include "headlight/attention_stack.h"
#include "headlight/attribution.h"
#include "headlight/head_metrics.h"
#include "headlight/logit_lens.h"
#include "headlight/model_config.h"
#include "headlight/trace.h"
#include "headlight/what_if.h"
#include "view_preset.h"

#include <QMetaType>
#include <QString>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace headlight {

struct ModelInfo {
    QString dir;                          // the model folder, as opened
    QString name;                         // its folder name, for titles
    // The model as the views see it: n_layer counts the rows of its attention stack (stackedConfig: an
    // encoder-decoder model's encoder, decoder and cross-attention layers one after the other), and `blocks`
    // says which rows are which kind. Empty blocks: one stack (snapshots made by hand).
    ModelConfig config;
    std::vector<AttentionBlock> blocks;
    // The model's own config (config.json's): `config` with an encoder-decoder model's n_layer its decoder's.
    ModelConfig fileConfig() const {
        ModelConfig c = config;
        if (blocks.size() == 3) c.nLayer = blocks[1].rows;
        return c;
    }
    std::vector<std::string> vocabulary;  // display text per token id; empty when the folder has no vocab.json
    int64_t parameters = 0;
    QString device;                       // "cpu", "cuda:0"
    bool canEncode = true;                // false: no tokenizer (the model takes token ids only), text cannot be typed
    ViewPreset preset;                    // view.json: where the model's mechanism shows, what its task scores
    int zeroShotSelectorHead = -1;        // >= 0: selective attention added at load, not trained (Engine)
};

// Per-head scores from the newest analysis of this model (computed on request, in the background).
struct HeadScores {
    FloatArray importance;          // [L,H] I_h (Michel et al.), empty until computed
    FloatArray ablationDeltaLoss;   // [L,H] loss change with the head alone pruned, empty until computed
    QString source;                 // what they were measured on: "this text", "task: ...", "file: ..."
};

struct RunSnapshot {
    std::shared_ptr<const ModelInfo> model;
    std::shared_ptr<const Trace> trace;
    QString text;                         // the text that was run (after any truncation)
    int droppedTokens = 0;                // tokens cut off because the text was longer than the model allows
    QString target;                       // an encoder-decoder model's target text (after any cut); `text` is the source
    int droppedTargetTokens = 0;
    double loadMs = 0;                    // model load time when this run had to load it, else 0
    // Pruning what-ifs: when the run pruned heads, the unpruned run of the same tokens and context budget, and
    // how the two differ (null when nothing is pruned).
    std::shared_ptr<const Trace> baseline;
    std::shared_ptr<const RunComparison> comparison;
    std::shared_ptr<const HeadScores> scores;   // null until an analysis ran on this model
    // Every head's metrics for `trace`, computed with the run (on the worker): views read them, never compute
    // them on the GUI thread. Null for snapshots made elsewhere (the CLI, tests): headSummaries() fills in.
    std::shared_ptr<const HeadSummaries> summaries;
    const Trace* summarized = nullptr;   // the trace `summaries` were computed for (a new trace needs its own)
    // Attention rollout of `trace` (every head of every layer captured, at most kRolloutTokens tokens), computed
    // with the run; empty otherwise.
    FloatArray rollout;
    // What each head does at a position (docs/head-roles.md), computed on the worker when the Lens or Attribution
    // view asks (ModelSession::inspect), for `trace`; null until then.
    std::shared_ptr<const LogitLens> lens;
    std::shared_ptr<const Attribution> attribution;

    bool pruned() const { return baseline && comparison; }
    // Attention is causal (a query sees only itself and earlier keys); false for bidirectional models (BERT).
    bool causal() const { return !model || model->config.causal; }

    bool valid() const { return model && trace; }
    int layers() const { return model ? model->config.nLayer : 0; }
    int heads() const { return model ? model->config.nHead : 0; }
    int tokens() const { return trace ? static_cast<int>(trace->tokenIds.size()) : 0; }
    // Display label of token i of the run: whitespace made visible ("␣", "⏎", "⇥"), "#id" without a vocabulary.
    QString tokenLabel(int i) const;
    // Display label of any vocabulary id (for predictions).
    QString vocabLabel(int64_t id) const;

    // The stack's rows (headlight/attention_stack.h): the kind of attention a "layer" of the views is, and the
    // tokens on its two axes (the run's own, or an encoder-decoder model's source).
    bool encoderDecoder() const { return model && model->blocks.size() > 1; }
    AttentionBlock blockOf(int layer) const;
    int queryCount(int layer) const;
    int keyCount(int layer) const;
    QString queryLabel(int layer, int i) const;
    QString keyLabel(int layer, int j) const;
    bool causalAt(int layer) const { return blockOf(layer).causal; }
    // "L3" for one stack; "E3", "D3", "X3" for an encoder-decoder model's encoder, decoder and cross-attention.
    QString rowName(int layer) const;
    int sourceTokens() const { return trace ? static_cast<int>(trace->sourceIds.size()) : 0; }
    QString sourceLabel(int j) const;
};

// The snapshot's head summaries: its own when they belong to its trace, else computed now (for snapshots that
// were not made by a run on the worker).
std::shared_ptr<const HeadSummaries> headSummaries(const RunSnapshot& snapshot);
// Fills in snapshot.summaries for its trace (where the run is made: the worker, the CLI, tests), and the rollout
// when the trace captured every head of at most kRolloutTokens tokens.
void summarize(RunSnapshot& snapshot);
// Rollout multiplies one [T,T] matrix per layer: T^3 per layer, so long inputs leave it out.
constexpr int kRolloutTokens = 1024;

// Whitespace made visible for axis labels and tooltips.
QString visibleToken(const std::string& utf8);

} // namespace headlight

Q_DECLARE_METATYPE(headlight::RunSnapshot)
