// Gemma 2 (Gemma Team 2024), Hugging Face modeling_gemma2: (1 + weight) RMSNorm, embeddings scaled by
// sqrt(hidden_size), norms before and after attention and MLP, attention and final logit soft-capping,
// query_pre_attn_scalar, a sliding window on alternate layers (even ones), GeGLU with the tanh GELU.
#include "families/family.h"
#include "checkpoint/config_reader.h"

#include <cmath>

namespace headlight {
namespace {

struct Gemma2Layer {
    torch::Tensor inNorm, postAttnNorm, preMlpNorm, postMlpNorm;   // [D] each, applied as (1 + w)
    torch::Tensor qW, kW, vW, oW;                                  // [H*d,D], [Hkv*d,D], [Hkv*d,D], [D,H*d]
    torch::Tensor gateW, upW, downW;                               // [F,D], [F,D], [D,F]
};

class Gemma2 final : public Architecture {
public:
    explicit Gemma2(const ModelConfig& c) : Architecture(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t V = c_.vocabSize, D = c_.nEmbd, F = c_.mlpWidth(), d = c_.headDim();
        const int64_t Q = c_.nHead * d, K = c_.kvHeads() * d;
        v({&embed_, "model.embed_tokens.weight", {V, D}, Init::normal()});
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = "model.layers." + std::to_string(l) + ".", a = p + "self_attn.", m = p + "mlp.";
            v({&w.inNorm, p + "input_layernorm.weight", {D}, Init::zeros()});
            v({&w.qW, a + "q_proj.weight", {Q, D}, Init::normal()});
            v({&w.kW, a + "k_proj.weight", {K, D}, Init::normal()});
            v({&w.vW, a + "v_proj.weight", {K, D}, Init::normal()});
            v({&w.oW, a + "o_proj.weight", {D, Q}, Init::residual()});
            visitMechanisms(l, a, v);
            v({&w.postAttnNorm, p + "post_attention_layernorm.weight", {D}, Init::zeros()});
            v({&w.preMlpNorm, p + "pre_feedforward_layernorm.weight", {D}, Init::zeros()});
            v({&w.gateW, m + "gate_proj.weight", {F, D}, Init::normal()});
            v({&w.upW, m + "up_proj.weight", {F, D}, Init::normal()});
            v({&w.downW, m + "down_proj.weight", {D, F}, Init::residual()});
            v({&w.postMlpNorm, p + "post_feedforward_layernorm.weight", {D}, Init::zeros()});
        }
        v({&norm_, "model.norm.weight", {D}, Init::zeros()});
        if (!c_.tieWordEmbeddings) v({&lmHead_, "lm_head.weight", {V, D}, Init::normal()});
    }

    std::string canonicalName(const std::string& n) const override {
        return c_.tieWordEmbeddings && n == "lm_head.weight" ? "" : n;
    }

    torch::Tensor embed(const torch::Tensor& ids) const override {
        // transformers multiplies by sqrt(hidden_size) rounded to the activations' dtype.
        const float normalizer = static_cast<float>(std::sqrt(static_cast<double>(c_.nEmbd)));
        return embeddingRows(embed_, ids.reshape(-1)).view({ids.size(0), ids.size(1), c_.nEmbd}) * normalizer;
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const double eps = c_.layerNormEpsilon;
        auto h = rmsNorm(x, w.inNorm, eps, 1.0);
        auto q = applyRotary(splitHeads(dense(h, w.qW), c_.nHead), *ctx.rotary);
        auto k = applyRotary(splitHeads(dense(h, w.kW), c_.kvHeads()), *ctx.rotary);
        auto v = splitHeads(dense(h, w.vW), c_.kvHeads());
        auto out = x + rmsNorm(dense(ctx.attend(q, k, v), w.oW), w.postAttnNorm, eps, 1.0);
        auto m = rmsNorm(out, w.preMlpNorm, eps, 1.0);
        auto gated = activation(dense(m, w.gateW), c_.activationFunction) * dense(m, w.upW);   // [B,T,F]
        return out + rmsNorm(dense(gated, w.downW), w.postMlpNorm, eps, 1.0);
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return rmsNorm(x, norm_, c_.layerNormEpsilon, 1.0); }
    torch::Tensor logits(const torch::Tensor& h) const override {
        auto z = product(h, (lmHead_.defined() ? lmHead_ : embed_).t());      // [B,T,V]
        const double cap = c_.finalLogitSoftcap;
        return cap > 0 ? torch::tanh(z / cap) * cap : z;
    }
    std::string outputLayer() const override { return lmHead_.defined() ? "lm_head" : "tied to model.embed_tokens"; }

private:
    torch::Tensor embed_, norm_, lmHead_;
    std::vector<Gemma2Layer> layers_;
};

// A soft-cap: absent takes transformers' Gemma 2 default, null is none.
double softcap(ConfigReader& r, const char* key, double absent) {
    if (!r.json().contains(key)) return absent;
    return r.has(key) ? r.positiveNumber(key, 0) : 0.0;
}

void readGemma2(ConfigReader& r, ModelConfig& c) {
    // transformers' defaults for keys a file leaves out (Gemma 2 9B's values), so a folder gives the same model.
    DecoderDefaults defaults;
    defaults.activationKey = "hidden_activation";
    defaults.defaultActivation = "gelu_pytorch_tanh";
    defaults.kvHeads = 4;
    defaults.headDim = 256;
    readDecoderSizes(r, c, "rms_norm_eps", defaults);
    readRotary(r, c, c.headDim());
    const double scalar = r.json().contains("query_pre_attn_scalar") ? r.positiveNumber("query_pre_attn_scalar", 0) : 256.0;
    c.attentionScale = 1.0 / std::sqrt(scalar);
    c.attnLogitSoftcap = softcap(r, "attn_logit_softcapping", 50.0);
    c.finalLogitSoftcap = softcap(r, "final_logit_softcapping", 30.0);
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", true);
    r.pinned("attention_bias", false, "Gemma 2 has no attention biases");
    r.pinned("use_bidirectional_attention", false, "causal attention only");
    const int window = r.json().contains("sliding_window") ? r.positiveInt("sliding_window", 0) : 4096;
    readLayerTypes(r, c, window, [&](int l) { return window > 0 && l % 2 == 0; });
}

std::unique_ptr<Architecture> buildGemma2(const ModelConfig& c) { return std::make_unique<Gemma2>(c); }

} // namespace

const Family& gemma2Family() {
    static const Family f{{"gemma2"}, readGemma2, buildGemma2, {".rotary_emb.inv_freq"}};
    return f;
}

} // namespace headlight
