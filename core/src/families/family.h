#pragma once
// Internal: what a model family is. Each family is one file in this folder: its config.json keys, its tensor
// names (one visit), and its forward pass over the shared building blocks (nn/layers.h) and the one attention
// (attention/attention.h), reached only through LayerContext::attend. The layer loop, residual capture,
// incremental recomputation, head masks and mechanisms live in model/transformer.cpp, not here.
#include "attention/attention.h"
#include "headlight/model_config.h"
#include "checkpoint/weights.h"
#include "nn/residual_ledger.h"
#include "nn/layers.h"

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

class ConfigReader;

// What a layer gets from the layer loop.
struct LayerContext {
    const RotaryTables* rotary = nullptr;   // positions 0..T-1, when the model has rotary embeddings
    // q [B,H,T,d], k and v [B,Hkv,T,d] -> the heads' outputs merged, [B,T,H*d] (gates, masks and capture
    // applied).
    std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)> attend;
    // Encoder-decoder decoders: attention from the decoder's queries q [B,H,T,d] to keys and values projected
    // from the encoder's output, k and v [B,H,S,d] -> [B,T,H*d], like `attend` (head mask and capture applied).
    std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)> attendSource;
    // Direct logit attribution follows one position through the layer (nn/residual_ledger.h); null otherwise.
    ResidualLedger* ledger = nullptr;

    // A layer names what it writes into the residual stream through these, so that a ledger can split it: the
    // attention's write is `project` (the output projection with its bias; affine) of the merged heads
    // [B,T,H*d], the MLP's its output, and a norm applied to a write (Gemma 2's sandwich) or to the stream
    // itself (BERT's post-norm) goes through branchNorm / residualNorm. Without a ledger they only compute.
    using Projection = std::function<torch::Tensor(const torch::Tensor&)>;
    torch::Tensor attentionWrite(const torch::Tensor& merged, int64_t heads, const Projection& project) const {
        if (ledger) ledger->heads(merged, heads, project);
        return project(merged);
    }
    torch::Tensor mlpWrite(const torch::Tensor& out) const {
        if (ledger) ledger->mlp(out);
        return out;
    }
    torch::Tensor branchNorm(const Norm& norm, const torch::Tensor& write) const {
        if (ledger) ledger->branchNorm(norm, write);
        return norm(write);
    }
    torch::Tensor residualNorm(const Norm& norm, const torch::Tensor& stream) const {
        if (ledger) ledger->residualNorm(norm, stream);
        return norm(stream);
    }
};

class Architecture : public MechanismHost {
public:
    explicit Architecture(ModelConfig config);

    const ModelConfig& config() const override { return c_; }
    // Every tensor slot in file order (mechanism tensors included, through visitMechanisms).
    virtual void visit(const TensorVisitor& v) = 0;
    // The name a file's tensor has in visit() ("" = not a parameter, skip it), e.g. without a wrapper prefix.
    virtual std::string canonicalName(const std::string& fileName) const { return fileName; }
    virtual torch::Tensor embed(const torch::Tensor& ids) const = 0;                        // [B,T] -> [B,T,D]
    virtual torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const = 0;
    virtual torch::Tensor finalNorm(const torch::Tensor& x) const = 0;                       // [B,T,D]
    virtual torch::Tensor logits(const torch::Tensor& hidden) const = 0;                     // [B,T,V]
    // Which tensor produces the logits ("lm_head.weight", "tied to model.embed_tokens.weight", ...).
    virtual std::string outputLayer() const = 0;
    // Direct logit attribution: the final norm and the output layer applied to `ledger` (scales frozen at its
    // position), x [1,T,D] the final norm's input; each part's share of logit `target`, before any soft-cap.
    virtual std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const = 0;
    // The logits before any final soft-cap (Gemma 2): what attributeLogit's shares add up to.
    virtual torch::Tensor logitsBeforeCap(const torch::Tensor& hidden) const { return logits(hidden); }

    MechanismTensors& mechanisms(int l) override { return mech_.at(static_cast<size_t>(l)); }
    const MechanismTensors& mechanisms(int l) const override { return mech_.at(static_cast<size_t>(l)); }

protected:
    // The tensors the model's mechanisms add to layer l, named `prefix` + gate_log_alpha / span_fraction / ...
    void visitMechanisms(int l, const std::string& prefix, const TensorVisitor& v);
    // [B,T,H*d] -> [B,H,T,d] and back.
    torch::Tensor splitHeads(const torch::Tensor& x, int64_t heads) const;
    ModelConfig c_;
    std::vector<MechanismTensors> mech_;
};

// What the rest of core asks about a family, so that no file outside families/ compares model_type.
struct FamilyTraits {
    // How positions enter: "learned absolute" (a position embedding table) or "rotary" (Engine's describe).
    const char* positions = "rotary";
    // Matrices in each layer's MLP, for FLOP counts: 2 (up, down) or 3 (gate, up, down: SwiGLU, GeGLU).
    int mlpMatrices = 3;
    // Headlight's own layout (GPT-2's tensors, config.json written in GPT-2's keys and read back from them): the
    // one layout whose MLP persistent memory may replace, and that `train` builds from a "model" object.
    bool ownLayout = false;
    // The config.json key of the positions, which `train` fills from the task when a "model" object leaves it out.
    const char* positionsKey = "max_position_embeddings";
    // The model_type a model of this family is saved under once it has Headlight's mechanisms (GPT-2 becomes
    // "headlight"); null: its own.
    const char* typeWithMechanisms = nullptr;
};

class EncoderDecoderArchitecture;   // families/encoder_decoder.h

struct Family {
    std::vector<std::string> modelTypes;
    // Reads the family's keys (sizes, norms, positions, ...); the caller reads "headlight" and calls finish().
    void (*readConfig)(ConfigReader& r, ModelConfig& c);
    // One of the two: a single stack (decoder-only or encoder-only), or an encoder and a decoder.
    std::unique_ptr<Architecture> (*build)(const ModelConfig& c);
    std::unique_ptr<EncoderDecoderArchitecture> (*buildEncoderDecoder)(const ModelConfig& c) = nullptr;
    // Tensors that checkpoints of the family may carry but that are buffers, never parameters (a causal mask,
    // rotary frequencies, position ids), by the end of their names: skipped unread, whatever their dtype
    // (docs/model-format.md lists them).
    std::vector<std::string> bufferSuffixes = {};
    FamilyTraits traits = {};

    bool isBuffer(const std::string& fileName) const {
        for (const auto& s : bufferSuffixes)
            if (fileName.size() >= s.size() && fileName.compare(fileName.size() - s.size(), s.size(), s) == 0) return true;
        return false;
    }
};

// Each family's file defines its own; families/registry.cpp holds the one list of them.
const Family& gpt2Family();
const Family& bertFamily();
const Family& llamaFamily();
const Family& gptNeoxFamily();
const Family& gemma2Family();
const Family& marianFamily();
const Family& bartFamily();
const Family& t5Family();
const std::vector<const Family*>& allFamilies();
// Null for an unknown model_type.
const Family* findFamily(const std::string& modelType);
// The family of a config read by ModelConfig::fromJson (whose model_type is always known).
const Family& familyOf(const ModelConfig& c);

// Shared config readers for families that spell keys the Llama way.
// The top-level rotary keys of a family as transformers reads them; `*Alias` is the other family's spelling of
// the same setting, which transformers ignores here (accepted only when it agrees, ConfigReader::agrees).
struct RotaryKeys {
    const char* theta = "rope_theta";
    const char* thetaAlias = "rotary_emb_base";
    const char* partial = "partial_rotary_factor";
    const char* partialAlias = nullptr;
    double partialDefault = 1.0;
};
// rope_theta, the partial rotary factor, and rope_parameters (or the older rope_scaling), whose entries win over
// the top-level keys as in transformers 5; the scaling types default, linear and llama3 with the keys
// transformers requires for each. The frequencies' dtype is `dtype`, else `torch_dtype` (transformers 5 keeps
// `dtype` when both are given).
void readRotary(ConfigReader& r, ModelConfig& c, int headDim, const RotaryKeys& keys = {});
// vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, max_position_embeddings,
// the norm epsilon under `epsKey`, and the activation under the first of `activationKeys` present.
void readSizes(ConfigReader& r, ModelConfig& c, const char* epsKey, double epsDefault,
               std::initializer_list<const char*> activationKeys, const char* defaultActivation);
void requireHeadsDivideHidden(ConfigReader& r, const ModelConfig& c);
// readSizes the Llama way (rms_norm_eps-style key, `activationKey` with `defaultActivation`; the other spelling
// of the activation key is accepted when it agrees), plus num_key_value_heads and head_dim. Absent (not null),
// num_key_value_heads and head_dim take transformers' defaults for the family when it has them (0: the
// number of heads, hidden_size / heads).
struct DecoderDefaults {
    const char* activationKey = "hidden_act";
    const char* defaultActivation = "silu";
    int kvHeads = 0;
    int headDim = 0;
};
void readDecoderSizes(ConfigReader& r, ModelConfig& c, const char* epsKey, const DecoderDefaults& defaults = {});
void readLayerTypes(ConfigReader& r, ModelConfig& c, int window, const std::function<bool(int)>& slidingByDefault);

} // namespace headlight
