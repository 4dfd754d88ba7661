#pragma once
// Internal: what Llama and the families built like it (Mistral, Qwen2, Qwen3 in llama.cpp; Gemma 2) share, named
// once: the embedding, final norm and output layer (model.embed_tokens, model.norm, lm_head, tied or not), the
// attention projections under model.layers.{l}.self_attn. (grouped-query k/v, optional biases, Qwen3's q/k
// norms) and the gated MLP under model.layers.{l}.mlp. Each family adds its own norms and forward pass.
#include "families/family.h"

#include <string>

namespace headlight {

struct LlamaAttentionWeights {
    torch::Tensor qW, kW, vW, oW;   // [H*d,D], [Hkv*d,D], [Hkv*d,D], [D,H*d]
    torch::Tensor qB, kB, vB, oB;   // biases where the family has them
    torch::Tensor qNorm, kNorm;     // [d], when the config has q/k norms (Qwen3)
};

struct GatedMlpWeights {
    torch::Tensor gateW, upW, downW;   // [F,D], [F,D], [D,F]
    torch::Tensor gateB, upB, downB;   // when the config has MLP biases
};

struct AttentionBiases {
    bool qkv = false;      // q_proj, k_proj, v_proj
    bool output = false;   // o_proj
};

// The projections (and q/k norms) under `prefix` ("model.layers.{l}.self_attn."), in file order.
void declareLlamaAttention(const ModelConfig& c, const std::string& prefix, LlamaAttentionWeights& w, AttentionBiases biases,
                           const TensorVisitor& v);
// gate_proj, up_proj, down_proj under `prefix` ("model.layers.{l}.mlp."), with biases when c.mlpBias.
void declareGatedMlp(const ModelConfig& c, const std::string& prefix, GatedMlpWeights& w, const TensorVisitor& v);
// act(x W_gate^T) * (x W_up^T), then W_down: [B,T,D] -> [B,T,D].
torch::Tensor gatedMlp(const GatedMlpWeights& w, const torch::Tensor& x, const std::string& activation);

// The ends of a Llama-style model; a family's visit() calls declareEmbedding first and declareOutput last.
class LlamaStyle : public Architecture {
public:
    using Architecture::Architecture;

    // A tied output layer is the embedding, whatever a file stores under lm_head (as transformers ties it).
    std::string canonicalName(const std::string& n) const override {
        return c_.tieWordEmbeddings && n == "lm_head.weight" ? "" : n;
    }
    torch::Tensor embed(const torch::Tensor& ids) const override;                  // [B,T] -> [B,T,D]
    torch::Tensor logits(const torch::Tensor& h) const override;                   // [B,T,V]
    std::string outputLayer() const override { return lmHead_.defined() ? "lm_head" : "tied to model.embed_tokens"; }

protected:
    // The final norm `norm` and the output row of `target` applied to the ledger (Architecture::attributeLogit).
    std::vector<double> attributeThroughNorm(ResidualLedger& ledger, const Norm& norm, const torch::Tensor& x, int64_t target) const {
        ledger.residualNorm(norm, x);
        return ledger.dot((lmHead_.defined() ? lmHead_ : embed_).select(0, target));
    }
    static std::string layerPrefix(int l) { return "model.layers." + std::to_string(l) + "."; }
    void declareEmbedding(const TensorVisitor& v);
    // model.norm (initialised as `normInit`: ones, or zeros where the norm scales by 1 + w) and lm_head.
    void declareOutput(const TensorVisitor& v, Init normInit);

    torch::Tensor embed_, norm_, lmHead_;
};

} // namespace headlight
