#pragma once
// Internal: what the pruning analyses (pruning.cpp) run on: the engine's model, read-only; the examples in
// batches of rows; each row's loss and right predictions; the head mask as a tensor.
#include "headlight/engine.h"
#include "headlight/pruning.h"

#include <torch/types.h>
#include <utility>
#include <vector>

namespace headlight {

class EncoderDecoderModel;
class Transformer;

// Floats one forward pass may hold: bounds rows per batch, since heads x examples can be large. On the CPU,
// larger batches buy nothing (per-op overhead is already amortized) and fresh memory costs page faults, so
// the budget is small there; a GPU wants wide batches.
int64_t floatBudget(const torch::Device& device);
constexpr int64_t kMaxExamplesPerBatch = 64;

// Named apart from training/batches.h's Batch: both are headlight:: types outside any anonymous namespace, and two
// classes of one name would be one class to the linker (the sanitizer build caught the trainer destroying its
// batches with this one's destructor).
struct PruningBatch {
    torch::Tensor ids;       // [B,T] int64, padded with id 0 after each example's end
    torch::Tensor targets;   // [B,T] int64, what each position is scored on; -1 unscored and on padding
    torch::Tensor sources;   // [B,S] an encoder-decoder model's source ids (one length per batch); else undefined
};

// The engine's own model (read-only, so an analysis may run beside the engine's runs): a model of one stack, or
// an encoder-decoder model whose head mask is its attention stack's (headlight/attention_stack.h: the encoder's
// layers, the decoder's self-attention, its cross-attention; rows() of them).
struct EngineModel {
    const Transformer* model = nullptr;
    const EncoderDecoderModel* seq2seq = nullptr;
    torch::Device device;
    const ModelConfig& config() const;
    int64_t rows() const;
    // Logits [R,T,V] of `ids` [R,T] (and `sources` [R,S] for an encoder-decoder model) under `mask`, [rows,H]
    // or one mask per row [R,rows,H].
    torch::Tensor logits(const torch::Tensor& sources, const torch::Tensor& ids, const torch::Tensor& mask) const;
    torch::Tensor logits(const PruningBatch& b, const torch::Tensor& mask) const { return logits(b.sources, b.ids, mask); }
};
EngineModel engineModel(const Engine& engine);

// Rough floats per batch row of length T: logits and log-softmax, activations, attention maps; with
// gradients, every layer's saved activations count.
int64_t rowCost(const ModelConfig& c, int64_t T, bool withGrad);
std::vector<PruningBatch> makeBatches(const ExampleSet& data, const ModelConfig& c, const torch::Device& device, bool withGrad);
// Per row: L(x), the mean loss over scored positions, and the count of right argmax predictions.
std::pair<torch::Tensor, torch::Tensor> rowStats(const torch::Tensor& logits, const torch::Tensor& targets);
double scoredCount(const PruningBatch& b);
// `headMask` (rows x H of the attention stack, empty: all ones) as [rows,H] on `device`; Error for a mask of the
// wrong size or values.
torch::Tensor maskTensor(const std::vector<float>& headMask, const ModelConfig& c, const torch::Device& device);

} // namespace headlight
