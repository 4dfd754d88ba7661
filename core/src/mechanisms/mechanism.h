#pragma once
// Internal: Headlight's four attention mechanisms, one file each in this folder, behind one interface. A
// mechanism is independent of the model family: it reads its object under "headlight" in config.json, declares
// the tensors it adds to every layer (with their initialisation), hooks into attend() (attention/attention.cpp,
// the one attention), adds its regulariser to the training loss and exports its fields to traces and `info`.
//
// attend() calls the hooks of the model's mechanisms in this order:
//   logits = q k^T * scale (soft-capped)  -> shapeLogits      (selective: subtract F)
//   hidden keys masked                    -> restrictContext  (selective: context budgets)
//   extra keys                            -> addKeys          (persistent memory: N slots per head)
//   softmax over context and extra keys   -> reweight         (adaptive span: soft distance mask)
//   head output = p v (+ p_extra v_extra) -> scaleOutput      (head gates)
#include "headlight/model_config.h"

#include "model/weights.h"

#include <functional>
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <torch/torch.h>
#include <vector>

namespace headlight {

class ConfigReader;
class Transformer;
struct ForwardResult;
struct LayerCapture;
struct LayerTrace;
struct TrainConfig;

// The tensors the mechanisms add to one layer (undefined where a mechanism is off).
struct MechanismTensors {
    torch::Tensor gateLogAlpha;   // [H]
    torch::Tensor spanFraction;   // [H], z' in [0, 1]
    torch::Tensor memoryKey;      // [H,N,d]
    torch::Tensor memoryValue;    // [H,N,d]
};

// What one attention computes, step by step; hooks read and replace these tensors in place.
// B batch, H heads, T tokens, d head width, N extra keys.
struct AttentionStep {
    AttentionStep(const ModelConfig& c, const MechanismTensors& t) : config(c), tensors(t) {}
    const ModelConfig& config;
    const MechanismTensors& tensors;
    // The blocked attention runs the hooks on a block of query rows at a time: the tensors below then hold rows
    // row0.. of the queries and columns col0.. of the keys (T: the block's rows and keys); 0 for the whole matrix.
    int64_t row0 = 0;
    int64_t col0 = 0;
    torch::Tensor scaledQ;            // [B,H,T,d] q * scale
    torch::Tensor logits;             // [B,H,T,T]; -inf where a key is hidden (after the mask)
    int64_t contextBudget = 0;        // > 0: keep at most this many tokens (selective attention)
    torch::Tensor extraLogits;        // [B,H,T,N] keys beside the context, one softmax with it
    torch::Tensor extraValues;        // [1,H,N,d]
    torch::Tensor probs;              // [B,H,T,T] context probabilities
    torch::Tensor extraProbs;         // [B,H,T,N]
    torch::Tensor gates;              // [H] this call's gate values (deterministic or sampled), or undefined
    torch::Tensor headOutput;         // [B,H,T,d]
    // Exported with the attention (see AttentionOutput).
    torch::Tensor selection, selectionCumulative, evictedAt;
};

class Mechanism {
public:
    virtual ~Mechanism() = default;
    // Its key under "headlight" in config.json ("head_gates", ...), also its name in `info` and traces.
    virtual const char* key() const = 0;
    virtual bool enabledIn(const ModelConfig& c) const = 0;
    // Reads its object (`section`, already checked to be an object) into `c`; errors through `r`.
    virtual void readConfig(ConfigReader& r, const nlohmann::json& section, ModelConfig& c) const = 0;
    virtual nlohmann::json configJson(const ModelConfig& c) const = 0;

    // Its tensors in one layer's `tensors`, named `prefix` + name, with their initialisation (slots marked
    // `mechanism`, so fine-tuning may add them to a model that lacks them).
    virtual void declareTensors(const ModelConfig&, MechanismTensors&, const std::string& /*prefix*/,
                                const TensorVisitor&) const {}

    virtual void shapeLogits(AttentionStep&) const {}
    virtual void restrictContext(AttentionStep&) const {}
    virtual void addKeys(AttentionStep&) const {}
    virtual void reweight(AttentionStep&) const {}
    virtual void scaleOutput(AttentionStep&) const {}
    // True when its hooks work on any block of query rows (each row needs only its own logits, and positions
    // come from AttentionStep::row0 / col0), and scaleOutput on the assembled head outputs: attention may then be
    // computed in blocks of queries (attention/attention_blocked.cpp). Selective attention's F sums over queries.
    virtual bool worksInRowBlocks() const { return false; }

    // Its regulariser, weighted by its TRAIN.json factor; undefined when off or weighted 0.
    virtual torch::Tensor regulariser(const Transformer&, const ForwardResult&, const TrainConfig&) const { return {}; }
    // Whether the regulariser needs the layers' captures (training then captures them).
    virtual bool regulariserNeedsCapture(const TrainConfig&) const { return false; }
    // After an optimiser step: keep its parameters in range.
    virtual void projectParameters(Transformer&) const {}

    // Its per-layer trace fields (LayerTrace) from the capture and the model.
    virtual void exportLayer(const Transformer&, int /*layer*/, const LayerCapture&, LayerTrace&) const {}
    // Its entry in `info`'s "mechanisms".
    virtual nlohmann::json describe(const Transformer& m) const;
};

// Every mechanism, in hook order (selective, memory, span, gates).
const std::vector<const Mechanism*>& allMechanisms();
// The mechanisms `c` enables, in hook order.
std::vector<const Mechanism*> mechanismsOf(const ModelConfig& c);

// Reads config.json's "headlight" object (every key must be a mechanism's); writes it back.
void readMechanisms(ConfigReader& r, ModelConfig& c);
nlohmann::json mechanismsJson(const ModelConfig& c);
// For readConfig: fails naming the first key of `section` not in `known`.
void requireKnownKeys(ConfigReader& r, const nlohmann::json& section, const char* mechanism,
                      std::initializer_list<const char*> known);

// The deterministic gate values of a layer, or one Hard Concrete sample per head with `noise` (training).
torch::Tensor layerGates(const ModelConfig& c, const MechanismTensors& t, torch::Generator* noise);

} // namespace headlight
