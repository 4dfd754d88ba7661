#include "families/llama_style.h"

namespace headlight {

void declareLlamaAttention(const ModelConfig& c, const std::string& a, LlamaAttentionWeights& w, AttentionBiases biases,
                           const TensorVisitor& v) {
    const int64_t D = c.nEmbd, d = c.headDim(), Q = c.nHead * d, K = c.kvHeads() * d;
    v({&w.qW, a + "q_proj.weight", {Q, D}, Init::normal()});
    if (biases.qkv) v({&w.qB, a + "q_proj.bias", {Q}, Init::zeros()});
    v({&w.kW, a + "k_proj.weight", {K, D}, Init::normal()});
    if (biases.qkv) v({&w.kB, a + "k_proj.bias", {K}, Init::zeros()});
    v({&w.vW, a + "v_proj.weight", {K, D}, Init::normal()});
    if (biases.qkv) v({&w.vB, a + "v_proj.bias", {K}, Init::zeros()});
    v({&w.oW, a + "o_proj.weight", {D, Q}, Init::residual()});
    if (biases.output) v({&w.oB, a + "o_proj.bias", {D}, Init::zeros()});
    if (c.qkNorm) {
        v({&w.qNorm, a + "q_norm.weight", {d}, Init::ones()});
        v({&w.kNorm, a + "k_norm.weight", {d}, Init::ones()});
    }
}

void declareGatedMlp(const ModelConfig& c, const std::string& m, GatedMlpWeights& w, const TensorVisitor& v) {
    const int64_t D = c.nEmbd, F = c.mlpWidth();
    v({&w.gateW, m + "gate_proj.weight", {F, D}, Init::normal()});
    if (c.mlpBias) v({&w.gateB, m + "gate_proj.bias", {F}, Init::zeros()});
    v({&w.upW, m + "up_proj.weight", {F, D}, Init::normal()});
    if (c.mlpBias) v({&w.upB, m + "up_proj.bias", {F}, Init::zeros()});
    v({&w.downW, m + "down_proj.weight", {D, F}, Init::residual()});
    if (c.mlpBias) v({&w.downB, m + "down_proj.bias", {D}, Init::zeros()});
}

torch::Tensor gatedMlp(const GatedMlpWeights& w, const torch::Tensor& x, const std::string& act) {
    auto gated = activation(dense(x, w.gateW, w.gateB), act) * dense(x, w.upW, w.upB);   // [B,T,F]
    return dense(gated, w.downW, w.downB);                                                // [B,T,D]
}

void LlamaStyle::declareEmbedding(const TensorVisitor& v) {
    v({&embed_, "model.embed_tokens.weight", {c_.vocabSize, c_.nEmbd}, Init::normal()});
}

void LlamaStyle::declareOutput(const TensorVisitor& v, Init normInit) {
    v({&norm_, "model.norm.weight", {c_.nEmbd}, normInit});
    if (!c_.tieWordEmbeddings) v({&lmHead_, "lm_head.weight", {c_.vocabSize, c_.nEmbd}, Init::normal()});
}

torch::Tensor LlamaStyle::embed(const torch::Tensor& ids) const {
    return embeddingRows(embed_, ids.reshape(-1)).view({ids.size(0), ids.size(1), c_.nEmbd});
}

torch::Tensor LlamaStyle::logits(const torch::Tensor& h) const {
    return product(h, (lmHead_.defined() ? lmHead_ : embed_).t());
}

} // namespace headlight
