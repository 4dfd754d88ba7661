#include "families/llama_style.h"

namespace headlight {
namespace {

// `name`.weight [out, in] initialised as `init`, then `name`.bias [out] (zeros) when `bias`: one nn.Linear.
void declareLinear(const TensorVisitor& v, const std::string& name, torch::Tensor& weight, torch::Tensor& biasTensor,
                   int64_t out, int64_t in, Init init, bool bias) {
    v({&weight, name + ".weight", {out, in}, init});
    if (bias) v({&biasTensor, name + ".bias", {out}, Init::zeros()});
}

} // namespace

void declareLlamaAttention(const ModelConfig& c, const std::string& a, LlamaAttentionWeights& w, AttentionBiases biases,
                           const TensorVisitor& v) {
    const int64_t D = c.nEmbd, d = c.headDim(), Q = c.nHead * d, K = c.kvHeads() * d;
    declareLinear(v, a + "q_proj", w.qW, w.qB, Q, D, Init::normal(), biases.qkv);
    declareLinear(v, a + "k_proj", w.kW, w.kB, K, D, Init::normal(), biases.qkv);
    declareLinear(v, a + "v_proj", w.vW, w.vB, K, D, Init::normal(), biases.qkv);
    declareLinear(v, a + "o_proj", w.oW, w.oB, D, Q, Init::residual(), biases.output);
    if (c.qkNorm) {
        v({&w.qNorm, a + "q_norm.weight", {d}, Init::ones()});
        v({&w.kNorm, a + "k_norm.weight", {d}, Init::ones()});
    }
}

void declareGatedMlp(const ModelConfig& c, const std::string& m, GatedMlpWeights& w, const TensorVisitor& v) {
    const int64_t D = c.nEmbd, F = c.mlpWidth();
    declareLinear(v, m + "gate_proj", w.gateW, w.gateB, F, D, Init::normal(), c.mlpBias);
    declareLinear(v, m + "up_proj", w.upW, w.upB, F, D, Init::normal(), c.mlpBias);
    declareLinear(v, m + "down_proj", w.downW, w.downB, D, F, Init::residual(), c.mlpBias);
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
