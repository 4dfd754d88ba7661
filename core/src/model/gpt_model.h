#pragma once
// Internal: the GPT-2 architecture with Headlight's attention mechanisms (one file per architecture).
#include "attention/attention.h"
#include "headlight/model_config.h"
#include "headlight/safetensors.h"
#include "headlight/trace.h"

#include <map>
#include <string>
#include <torch/torch.h>
#include <vector>

namespace headlight {

struct BlockWeights {
    torch::Tensor ln1Weight, ln1Bias;          // [D]
    torch::Tensor attnWeight, attnBias;        // c_attn: [D,3D], [3D]  (Conv1D: y = x W + b)
    torch::Tensor attnProjWeight, attnProjBias;// c_proj: [D,D], [D]
    torch::Tensor ln2Weight, ln2Bias;          // [D]      (undefined in all-attention layers)
    torch::Tensor fcWeight, fcBias;            // [D,4D], [4D]
    torch::Tensor mlpProjWeight, mlpProjBias;  // [4D,D], [D]
    AttentionParams mechanisms;
};

struct GptWeights {
    torch::Tensor wte;       // [V,D]
    torch::Tensor wpe;       // [P,D]
    torch::Tensor lnfWeight, lnfBias;
    torch::Tensor lmHead;    // [V,D], undefined when tied to wte
    std::vector<BlockWeights> blocks;

    // Every tensor with its Hugging Face name (no prefix), in file order.
    std::vector<std::pair<std::string, torch::Tensor>> named() const;
};

using NamedTensors = std::map<std::string, torch::Tensor>;

// Every parameter of a safetensors file as float32 on `device`, names without the "transformer." prefix.
NamedTensors readTensors(const SafetensorsFile& file, const torch::Device& device);
// Checks presence and shape of every tensor `config` needs and that none is left over. Throws
// headlight::Error naming `source`.
GptWeights weightsFromTensors(NamedTensors tensors, const ModelConfig& config, const std::string& source);
GptWeights loadWeights(const SafetensorsFile& file, const ModelConfig& config, const torch::Device& device);

struct LayerCapture {
    torch::Tensor attention, memoryAttention, selection, selectionCumulative, evictedAt;   // see AttentionOutput
};

struct ForwardOptions {
    // [L,H] (1 keep, 0 pruned), or [B,L,H]: one mask per batch row (pruning what-ifs batch heads on the batch
    // axis and differentiate the loss with respect to it), or undefined.
    torch::Tensor headMask;
    CaptureSpec capture = CaptureSpec::none();
    torch::Generator* gateNoise = nullptr;         // training: Hard Concrete samples instead of deterministic gates
    std::vector<int64_t> contextBudget;            // per layer, selective attention only; 0 or empty = unlimited
};

struct ForwardResult {
    torch::Tensor logits;                 // [B,T,V]
    torch::Tensor finalHidden;            // [B,T,D] after ln_f
    std::vector<LayerCapture> layers;     // one per layer; empty tensors for layers not captured
};

class GptModel {
public:
    GptModel(ModelConfig config, GptWeights weights);

    const ModelConfig& config() const { return config_; }
    const GptWeights& weights() const { return weights_; }
    GptWeights& weights() { return weights_; }

    // ids: [B,T] int64. Captures the layers options.capture asks for. With options.gateNoise (training), gates
    // are Hard Concrete samples, one per head per call; otherwise deterministic.
    ForwardResult forward(const torch::Tensor& ids, const ForwardOptions& options) const;

    // The residual stream before layer 0: token plus position embeddings, [B,T,D] for ids [B,T].
    torch::Tensor embed(const torch::Tensor& ids) const;
    // Layers firstLayer..L-1, then ln_f and the logits, from `x` [B,T,D], the residual input of `firstLayer`
    // (firstLayer = L: the head only). The same operations as forward(), so the same inputs give the same
    // bits. When `residuals` is given (size L+1), entry l receives the input of every layer l run and entry L
    // the input of ln_f; other entries are left alone. result.layers holds captures for the layers run only.
    ForwardResult forwardFrom(int firstLayer, torch::Tensor x, const ForwardOptions& options,
                              std::vector<torch::Tensor>* residuals = nullptr) const;

    // Per-layer mechanism readouts, [H] each (undefined where the mechanism is off).
    torch::Tensor gates(int layer) const;
    torch::Tensor gateOpenProbability(int layer) const;
    torch::Tensor spans(int layer) const;   // z = span_fraction * max_span, in tokens

private:
    torch::Tensor block(int layer, const torch::Tensor& x, const ForwardOptions& options, LayerCapture* capture) const;

    ModelConfig config_;
    GptWeights weights_;
};

// GPT-2's tanh approximation of GELU.
torch::Tensor geluNew(const torch::Tensor& x);

} // namespace headlight
