#pragma once
// The attention a run shows, as one stack of rows (the views' "layers"): a model of one stack is one block of
// n_layer rows; an encoder-decoder model is three blocks, one per kind of attention, in the order data flows:
// the encoder's self-attention (rows 0..Le-1, source x source), the decoder's self-attention (Le..Le+L-1,
// target x target, causal) and its cross-attention (Le+L..Le+2L-1, target rows x source columns). Every row
// holds [h, queries, keys] per head, and the app's head mask is one [rows, H] mask over all three kinds.
#include "headlight/engine.h"
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include <string>
#include <vector>

namespace headlight {

struct AttentionBlock {
    AttentionKind kind = AttentionKind::Self;
    std::string name;         // "Encoder self-attention"; empty for a model of one stack
    std::string rowPrefix;    // the rows' labels: "L" (one stack), "E", "D", "X" (E3 = encoder layer 3)
    int first = 0, rows = 0;  // its rows in the stack
    bool sourceQueries = false, sourceKeys = false;   // which tokens are on each axis: the source's, else the trace's
    bool causal = true;       // a query sees only itself and earlier keys
    int layerOf(int row) const { return row - first; }   // the model's layer of a row of this block
};

// The blocks of `config`'s stack, in row order.
std::vector<AttentionBlock> attentionBlocks(const ModelConfig& config);
// The block holding `row` (the last block for rows past the end).
const AttentionBlock& blockOfRow(const std::vector<AttentionBlock>& blocks, int row);
// A row's short name: "L3" for one stack, "E3", "D3", "X3" for an encoder-decoder model's kinds.
std::string rowName(const std::vector<AttentionBlock>& blocks, int row);
// n_layer for one stack, Le + 2L for an encoder-decoder model.
int stackRows(const ModelConfig& config);
// `config` as the views see it: n_layer = stackRows (the head mask, every [L,H] table of the overview).
ModelConfig stackedConfig(const ModelConfig& config);

// An encoder-decoder trace rearranged as the stack: `layers` becomes the encoder's layers, then the decoder's
// self-attention, then its cross-attention (LayerTrace::layer = the row; arrays shared, not copied) and headMask
// the three masks stacked [rows, H]. sourceIds and sourceTokens stay; encoderLayers is emptied. A trace of one
// stack is returned as it is.
Trace stackedTrace(Trace trace, const ModelConfig& config);
// The inverse, for files: a stacked trace of the model whose stack is `blocks` back in the trace format's layout
// (encoderLayers, each decoder layer's kCrossAttention, the three head masks). A trace of one stack as it is.
Trace unstackedTrace(Trace trace, const std::vector<AttentionBlock>& blocks);
// --prune's list for `config` (parsePruneList) as a [rows, H] stacked mask: an encoder-decoder model's heads by
// their kind, E1.3 (encoder layer 1, head 3), D0.2 or X0.2, or by their row of the stack (4.2 = X0.2 of a 2 + 2
// layer model). Errors name `argName` and the head.
std::vector<float> parseStackedPruneList(const std::string& spec, const ModelConfig& config, const std::string& argName);
// A [rows, H] stacked mask (row-major, empty: every head) split into `request`'s three masks.
void setStackedHeadMask(RunRequest& request, const ModelConfig& config, const std::vector<float>& stacked);

} // namespace headlight
