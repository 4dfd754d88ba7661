// Gemma 2 (Gemma Team 2024), Hugging Face modeling_gemma2: (1 + weight) RMSNorm, embeddings scaled by
// sqrt(hidden_size), norms before and after attention and MLP, attention and final logit soft-capping,
// query_pre_attn_scalar, a sliding window on alternate layers (even ones), GeGLU with the tanh GELU.
#include "checkpoint/config_reader.h"
#include "families/llama_style.h"

#include <cmath>

namespace headlight {
namespace {

struct Gemma2Layer {
    torch::Tensor inNorm, postAttnNorm, preMlpNorm, postMlpNorm;   // [D] each, applied as (1 + w)
    LlamaAttentionWeights attn;                                    // no biases
    GatedMlpWeights mlp;
};

// Llama's tensors with two more norms per layer; norms scale by (1 + w), so they start at zero.
class Gemma2 final : public LlamaStyle {
public:
    explicit Gemma2(const ModelConfig& c) : LlamaStyle(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t D = c_.nEmbd;
        declareEmbedding(v);
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = layerPrefix(l);
            v({&w.inNorm, p + "input_layernorm.weight", {D}, Init::zeros()});
            declareLlamaAttention(c_, p + "self_attn.", w.attn, AttentionBiases{}, v);
            visitMechanisms(l, p + "self_attn.", v);
            v({&w.postAttnNorm, p + "post_attention_layernorm.weight", {D}, Init::zeros()});
            v({&w.preMlpNorm, p + "pre_feedforward_layernorm.weight", {D}, Init::zeros()});
            declareGatedMlp(c_, p + "mlp.", w.mlp, v);
            v({&w.postMlpNorm, p + "post_feedforward_layernorm.weight", {D}, Init::zeros()});
        }
        declareOutput(v, Init::zeros());
    }

    torch::Tensor embed(const torch::Tensor& ids) const override {
        // transformers multiplies by sqrt(hidden_size) rounded to the activations' dtype.
        const float normalizer = static_cast<float>(std::sqrt(static_cast<double>(c_.nEmbd)));
        return LlamaStyle::embed(ids) * normalizer;
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const auto& a = w.attn;
        const double eps = c_.layerNormEpsilon;
        auto h = rmsNorm(x, w.inNorm, eps, 1.0);
        auto q = applyRotary(splitHeads(dense(h, a.qW), c_.nHead), *ctx.rotary);
        auto k = applyRotary(splitHeads(dense(h, a.kW), c_.kvHeads()), *ctx.rotary);
        auto v = splitHeads(dense(h, a.vW), c_.kvHeads());
        auto project = [&](const torch::Tensor& merged) { return dense(merged, a.oW); };
        auto out = x + ctx.branchNorm(Norm::rms(w.postAttnNorm, eps, 1.0), ctx.attentionWrite(ctx.attend(q, k, v), c_.nHead, project));
        auto m = ctx.mlpWrite(gatedMlp(w.mlp, rmsNorm(out, w.preMlpNorm, eps, 1.0), c_.activationFunction));
        return out + ctx.branchNorm(Norm::rms(w.postMlpNorm, eps, 1.0), m);
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return rmsNorm(x, norm_, c_.layerNormEpsilon, 1.0); }
    std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const override {
        return attributeThroughNorm(ledger, Norm::rms(norm_, c_.layerNormEpsilon, 1.0), x, target);
    }
    torch::Tensor logitsBeforeCap(const torch::Tensor& h) const override { return LlamaStyle::logits(h); }
    torch::Tensor logits(const torch::Tensor& h) const override {
        auto z = LlamaStyle::logits(h);                                          // [B,T,V]
        const double cap = c_.finalLogitSoftcap;
        return cap > 0 ? torch::tanh(z / cap) * cap : z;
    }

private:
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
    static const Family f = [] {
        Family g{{"gemma2"}, readGemma2, buildGemma2};
        g.bufferSuffixes = {".rotary_emb.inv_freq"};   // rotary positions, a gated MLP: the default traits
        return g;
    }();
    return f;
}

} // namespace headlight
