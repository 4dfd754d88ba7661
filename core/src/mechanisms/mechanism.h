#pragma once
// Internal: Headlight's attention mechanisms, one file each in this folder, behind one interface, listed once in
// registry.cpp. A mechanism is independent of the model family and holds everything of its own: its settings
// (its object under "headlight" in config.json, a struct in headlight/mechanisms/), the tensors it adds to every
// layer (with their initialisation), its hooks into attend() (attention/attention.cpp, the one attention), the
// tensors it captures (named as in the trace format), its regulariser and TRAIN.json coefficient, the per-head
// metrics of the overview, its section of `evaluate`'s report, and its entry in `info`.
//
// attend() calls the hooks of the model's mechanisms phase by phase, in this order (scoreHooks and outputHooks
// in attention/attention.h; within a phase, in registry order):
//   logits = q k^T * scale (soft-capped)  -> shapeLogits      (selective: subtract F)
//   hidden keys masked                    -> restrictContext  (selective: context budgets)
//   extra keys                            -> addKeys          (persistent memory: N slots per head)
//   softmax over context and extra keys   -> reweight         (adaptive span: soft distance mask)
//   head output = p v (+ p_extra v_extra) -> scaleOutput      (head gates), then the head mask
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include "checkpoint/weights.h"

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

class ConfigReader;

// The tensors the mechanisms add to one layer, by name ("gate_log_alpha", "span_fraction", ...).
struct MechanismTensors {
    std::map<std::string, torch::Tensor> byName;
    // The tensor of that name (undefined when the model lacks it).
    const torch::Tensor& operator[](const std::string& name) const {
        static const torch::Tensor kNone;
        const auto it = byName.find(name);
        return it == byName.end() ? kNone : it->second;
    }
    // Its slot, created on first use: visit() hands out pointers to these, which stay valid.
    torch::Tensor& slot(const std::string& name) { return byName[name]; }
};

// What one layer's attention hands back beside its output, and what the engine exports from it.
struct LayerCapture {
    torch::Tensor attention;      // [B,h,T,T] final context probabilities of the heads asked for (KeepAttention)
    // What the mechanisms' hooks captured, by their names in traces: "selection" [B,T,T], "memory_attention"
    // [B,H,T,N], ... (each mechanism's exportLayer reads its own).
    std::map<std::string, torch::Tensor> named;
    // Every head digested in the same pass (KeepAttention::stats / pooledSize; batch of one; LayerDigest).
    torch::Tensor statSums;       // [H,4] float64 sums over queries: entropy, max weight, distance, p_i0
    torch::Tensor pooledMax;      // [H,C,C]
    torch::Tensor pooledMean;     // [H,C,C]
    int64_t pooledBin = 0;
    torch::Tensor roleScores;     // [H,R] float32 (KeepAttention::roles; attention/role_digest.h)
    bool captured = false;        // the capture asked for this layer (else only its digest is set)
};

// What a mechanism sees of a model: its config and each layer's mechanism tensors (a family's Architecture).
class MechanismHost {
public:
    virtual ~MechanismHost() = default;
    virtual const ModelConfig& config() const = 0;
    virtual const MechanismTensors& mechanisms(int layer) const = 0;
    virtual MechanismTensors& mechanisms(int layer) = 0;
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
    const char* extraKeysName = nullptr;   // the capture name of the extra keys' probabilities (addKeys sets it)
    torch::Tensor probs;              // [B,H,T,T] context probabilities
    torch::Tensor extraProbs;         // [B,H,T,N]
    torch::Tensor gates;              // [H] this call's gate values (deterministic or sampled), or undefined
    torch::Tensor headMask;           // [H] or [B,H] (1 keep, 0 pruned), or undefined
    torch::Tensor headOutput;         // [B,H,T,d]
    // What the hooks capture for traces, by name (LayerCapture::named); whole-matrix hooks only.
    std::map<std::string, torch::Tensor> captures;
};

// A per-head number of one run for the layers x heads overview, computed from a trace (head_metrics.h).
struct MechanismMetric {
    const char* id;     // stable id for settings and the CLI
    const char* name;   // display name
    const char* unit;   // "tokens", or "" for probabilities and fractions
    // [L,H]; NaN where the trace did not capture the layer (or the head).
    std::function<FloatArray(const Trace&, const ModelConfig&)> compute;
};

// What `evaluate`'s report is measured on: the task's name and its longest example, in tokens.
struct ReportTask {
    std::string name;
    int64_t maxLength = 0;
};

// A mechanism's section of `evaluate`'s report: fed every example's trace, then asked for its JSON.
class MechanismReportSection {
public:
    virtual ~MechanismReportSection() = default;
    // One example's run (every layer and head captured): its characters, and the positions the task scores.
    virtual void add(const std::vector<std::string>& chars, const Trace& trace, const std::vector<int64_t>& scored) = 0;
    virtual nlohmann::json result() const = 0;
};

class Mechanism {
public:
    virtual ~Mechanism() = default;
    // Its key under "headlight" in config.json ("head_gates", ...), also its name in `info`, traces and reports.
    virtual const char* key() const = 0;
    bool enabledIn(const ModelConfig& c) const { return c.mechanisms.has(key()); }
    // Reads its object (`section`, already checked to be an object) into `c` (c.mechanisms.set); errors through `r`.
    virtual void readConfig(ConfigReader& r, const nlohmann::json& section, ModelConfig& c) const = 0;
    virtual nlohmann::json configJson(const ModelConfig& c) const = 0;
    // What it changes of the family's layers: keys every head reads beside the context, and whether it takes
    // the MLP's place (ModelConfig::extraKeysPerHead, hasMlp).
    virtual int extraKeys(const ModelConfig&) const { return 0; }
    virtual bool replacesMlp(const ModelConfig&) const { return false; }

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
    // True when restrictContext honours a context budget (RunRequest::contextBudget; selective attention).
    virtual bool prunesContext() const { return false; }
    // This call's gate values [H] of a layer (deterministic, or one Hard Concrete sample per head with `noise`),
    // for scaleOutput; undefined for mechanisms without gates.
    virtual torch::Tensor layerGates(const ModelConfig&, const MechanismTensors&, torch::Generator* /*noise*/) const { return {}; }

    // TRAIN.json's coefficient of its regulariser ("l0_lambda", ...) and its default; null: it has none.
    virtual const char* regulariserKey() const { return nullptr; }
    virtual double regulariserDefault() const { return 0.0; }
    // The regulariser times `weight` (> 0), from the model and the batch's layer captures.
    virtual torch::Tensor regulariser(const MechanismHost&, const std::vector<LayerCapture>&, double /*weight*/) const { return {}; }
    // Whether the regulariser needs the layers' captures (training then captures them).
    virtual bool regulariserNeedsCapture() const { return false; }
    // Whether training draws gate noise for it (Hard Concrete samples).
    virtual bool needsGateNoise() const { return false; }
    // After an optimiser step: keep its parameters in range.
    virtual void projectParameters(MechanismHost&) const {}
    // Each head's state for a run's timeline (headlight/timeline.h), [L,H] arrays by their trace names.
    virtual void timelineHeads(const MechanismHost&, std::map<std::string, FloatArray>& /*out*/) const {}

    // The float32 bytes exportLayer adds to one captured layer of a run of `tokens` tokens (headlight/capture_size.h).
    virtual double capturedBytesPerLayer(const ModelConfig&, int64_t /*tokens*/) const { return 0; }
    // Its tensors of one captured layer into `lt` (by their trace names), from the capture and its parameters.
    virtual void exportLayer(const ModelConfig&, const MechanismTensors&, const LayerCapture&, LayerTrace&) const {}
    // Its entry in `info`'s "mechanisms".
    virtual nlohmann::json describe(const MechanismHost& m) const;
    // Its per-head metrics for the overview (in display order).
    virtual std::vector<MechanismMetric> metrics() const { return {}; }
    // Heads it switched off in a captured layer (head gates: a gate of exactly 0); `closed` has one entry per head.
    virtual void markClosedHeads(const LayerTrace&, std::vector<bool>& /*closed*/) const {}
    // Its section of the report (null: it reports nothing).
    virtual std::unique_ptr<MechanismReportSection> report(const ModelConfig&, const ReportTask&) const { return nullptr; }
};

// Every mechanism (gates, span, selective, memory): registry.cpp.
const std::vector<const Mechanism*>& allMechanisms();
// The mechanisms `c` enables, in registry order.
std::vector<const Mechanism*> mechanismsOf(const ModelConfig& c);
const Mechanism* findMechanism(const std::string& key);
// Whether a mechanism of `c` honours context budgets.
bool prunesContext(const ModelConfig& c);

// Reads config.json's "headlight" object (every key must be a mechanism's); writes it back.
void readMechanisms(ConfigReader& r, ModelConfig& c);
nlohmann::json mechanismsJson(const ModelConfig& c);
// For readConfig: fails naming the first key of `section` not in `known`.
void requireKnownKeys(ConfigReader& r, const nlohmann::json& section, const char* mechanism,
                      std::initializer_list<const char*> known);

// [L,H] on the CPU: `perLayer` ([H] of one layer's tensors) for every layer, detached.
FloatArray layerGrid(const MechanismHost& m, const std::function<torch::Tensor(const MechanismTensors&)>& perLayer);

// This call's gate values of a layer: the product of what every mechanism of `c` gates with (undefined: none).
torch::Tensor layerGates(const ModelConfig& c, const MechanismTensors& t, torch::Generator* noise);

} // namespace headlight
