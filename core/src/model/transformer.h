#pragma once
// Internal: a model of any family on a device. The one layer loop (residual capture for incremental
// recomputation, batched head masks, gates, context budgets, capture) over a family's Architecture.
#include "families/family.h"
#include "headlight/model_config.h"
#include "headlight/trace.h"
#include "checkpoint/weights.h"

#include <functional>
#include <memory>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

struct RoleProbe;
class ResidualLedger;

struct ForwardOptions {
    // [L,H] (1 keep, 0 pruned), or [B,L,H]: one mask per batch row (pruning what-ifs batch heads on the batch
    // axis and differentiate the loss with respect to it), or undefined.
    torch::Tensor headMask;
    CaptureSpec capture = CaptureSpec::none();
    torch::Generator* gateNoise = nullptr;         // training: Hard Concrete samples instead of deterministic gates
    std::vector<int64_t> contextBudget;            // per layer, selective attention only; 0 or empty = unlimited
    // When set, each captured layer goes here as soon as it is computed instead of into ForwardResult::layers.
    std::function<void(int layer, LayerCapture&&)> onCapture;
    std::function<void(int layer)> afterLayer;   // progress: called once each layer is done (may throw to stop)
    // Every head's role scores measured in the pass (LayerCapture::roleScores); batch of one.
    const RoleProbe* roles = nullptr;
    // Direct logit attribution: one position's residual stream followed part by part (forward() only).
    ResidualLedger* ledger = nullptr;
};

struct ForwardResult {
    torch::Tensor logits;                 // [B,T,V]
    torch::Tensor finalHidden;            // [B,T,D] after the final norm
    std::vector<LayerCapture> layers;     // one per layer; empty tensors for layers not captured
};

// A model folder's weights (model.safetensors or its shards), the family's buffers left unread.
NamedTensors readModelWeights(const ModelConfig& config, const std::string& modelDir, const torch::Device& device);

class Transformer {
public:
    // Takes the family's tensors out of `tensors` (names as in the file), checking names and shapes; tensors
    // left over are an error. Throws headlight::Error naming `source`.
    // With `missingMechanismsSeed`, mechanism tensors the file lacks are initialised as init does (fine-tuning
    // a model that did not have them).
    Transformer(const ModelConfig& config, NamedTensors tensors, const std::string& source,
                const uint64_t* missingMechanismsSeed = nullptr);
    // Fresh random weights (float32, CPU), as `init` writes them.
    Transformer(const ModelConfig& config, uint64_t seed);
    Transformer(Transformer&&) noexcept;
    Transformer& operator=(Transformer&&) noexcept;
    ~Transformer();

    // Stores the family's matrices (embeddings, projections, output layers) in `dtype` and computes their
    // products and attention's in it (nn/layers.h); vectors (norms, biases) and the mechanisms' tensors stay
    // float32. A no-op for float32. For inference: training keeps float32.
    void storeMatricesAs(torch::ScalarType dtype);
    torch::ScalarType productType() const { return productType_; }

    const ModelConfig& config() const;
    // Every tensor with its file name, in file order (for saving, training and counting).
    std::vector<std::pair<std::string, torch::Tensor>> named() const;
    std::string outputLayer() const;

    // ids: [B,T] int64. Captures the layers options.capture asks for. With options.gateNoise (training), gates
    // are Hard Concrete samples, one per head per call; otherwise deterministic.
    ForwardResult forward(const torch::Tensor& ids, const ForwardOptions& options) const;
    // The residual stream before layer 0, [B,T,D] for ids [B,T].
    torch::Tensor embed(const torch::Tensor& ids) const;
    // Layers firstLayer..L-1, then the final norm and the logits, from `x` [B,T,D], the residual input of
    // `firstLayer` (firstLayer = L: the head only). The same operations as forward(), so the same inputs give
    // the same bits. When `residuals` is given (size L+1), entry l receives the input of every layer l run and
    // entry L the input of the final norm; other entries are left alone.
    ForwardResult forwardFrom(int firstLayer, torch::Tensor x, const ForwardOptions& options,
                              std::vector<torch::Tensor>* residuals = nullptr) const;

    // The final norm and the output layer on a residual stream x [B,T,D] (the logit lens): [B,T,V].
    torch::Tensor head(const torch::Tensor& x) const;
    // The same before any final soft-cap (Gemma 2), and each ledger part's share of logit `target` there, x
    // [1,T,D] the final norm's input of the run that filled the ledger (ForwardOptions::ledger).
    torch::Tensor headBeforeCap(const torch::Tensor& x) const;
    std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const;

    // Layer `layer` alone on its residual input `x`, capturing what options.capture asks of it (the same
    // operations as in forwardFrom, so the same bits).
    LayerCapture captureLayer(int layer, const torch::Tensor& x, const ForwardOptions& options) const;

    // The model as its mechanisms see it: the config and each layer's mechanism tensors.
    const MechanismHost& mechanismHost() const;
    MechanismHost& mechanismHost();
    const MechanismTensors& mechanisms(int layer) const;

private:
    // One layer: its attention through attend() (capturing into `capture` when given), then the rest of it.
    torch::Tensor runLayer(int layer, const torch::Tensor& x, const ForwardOptions& options, const RotaryTables* rotary,
                           LayerCapture* capture) const;

    std::unique_ptr<Architecture> arch_;
    torch::ScalarType productType_ = torch::kFloat;
};

} // namespace headlight
