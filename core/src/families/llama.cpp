// Llama and the families that differ from it in a few switches (Hugging Face modeling_llama, _mistral,
// _qwen2, _qwen3): RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP.
//   Mistral: a sliding window on every layer.   Qwen2: q/k/v biases, windows from max_window_layers on.
//   Qwen3: RMSNorm of each head's q and k before rotary, an explicit head_dim.
#include "checkpoint/config_reader.h"
#include "families/llama_style.h"

namespace headlight {
namespace {

struct LlamaLayer {
    torch::Tensor inNorm;             // input_layernorm [D]
    LlamaAttentionWeights attn;
    torch::Tensor postNorm;           // post_attention_layernorm [D] (before the MLP)
    GatedMlpWeights mlp;
};

class Llama final : public LlamaStyle {
public:
    explicit Llama(const ModelConfig& c) : LlamaStyle(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t D = c_.nEmbd;
        // Qwen2 has q/k/v biases only; Llama's attention_bias covers o_proj too.
        const AttentionBiases biases{c_.attentionBias, c_.attentionBias && c_.modelType != "qwen2"};
        declareEmbedding(v);
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = layerPrefix(l);
            v({&w.inNorm, p + "input_layernorm.weight", {D}, Init::ones()});
            declareLlamaAttention(c_, p + "self_attn.", w.attn, biases, v);
            visitMechanisms(l, p + "self_attn.", v);
            v({&w.postNorm, p + "post_attention_layernorm.weight", {D}, Init::ones()});
            declareGatedMlp(c_, p + "mlp.", w.mlp, v);
        }
        declareOutput(v, Init::ones());
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const auto& a = w.attn;
        const double eps = c_.layerNormEpsilon;
        auto h = rmsNorm(x, w.inNorm, eps);
        auto q = splitHeads(dense(h, a.qW, a.qB), c_.nHead);                     // [B,H,T,d]
        auto k = splitHeads(dense(h, a.kW, a.kB), c_.kvHeads());                 // [B,Hkv,T,d]
        auto v = splitHeads(dense(h, a.vW, a.vB), c_.kvHeads());
        if (c_.qkNorm) {
            q = rmsNorm(q, a.qNorm, eps);
            k = rmsNorm(k, a.kNorm, eps);
        }
        q = applyRotary(q, *ctx.rotary);
        k = applyRotary(k, *ctx.rotary);
        auto project = [&](const torch::Tensor& merged) { return dense(merged, a.oW, a.oB); };
        auto out = x + ctx.attentionWrite(ctx.attend(q, k, v), c_.nHead, project);
        return out + ctx.mlpWrite(gatedMlp(w.mlp, rmsNorm(out, w.postNorm, eps), c_.activationFunction));
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return rmsNorm(x, norm_, c_.layerNormEpsilon); }
    std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const override {
        return attributeThroughNorm(ledger, Norm::rms(norm_, c_.layerNormEpsilon), x, target);
    }

private:
    std::vector<LlamaLayer> layers_;
};

// transformers' defaults for a key a file leaves out, where they are not the obvious ones (its Mistral-7B- and
// Qwen-7B-sized values): the same folder must give the same model in transformers and here.
DecoderDefaults llamaDefaults(const std::string& type) {
    DecoderDefaults d;
    if (type == "mistral") d.kvHeads = 8;
    if (type == "qwen2" || type == "qwen3") d.kvHeads = 32;
    if (type == "qwen3") d.headDim = 128;
    return d;
}

void readLlama(ConfigReader& r, ModelConfig& c) {
    const std::string& type = c.modelType;
    readDecoderSizes(r, c, "rms_norm_eps", llamaDefaults(type));
    readRotary(r, c, c.headDim());
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", false);
    c.attentionBias = type == "qwen2" || r.flag("attention_bias", false);
    c.mlpBias = type == "llama" && r.flag("mlp_bias", false);
    c.qkNorm = type == "qwen3";
    // Llama has no sliding window: its key stays unread and so is rejected. The others default to 4096 when the
    // key is absent (null: none), as transformers does.
    int window = 0;
    if (type != "llama") window = r.json().contains("sliding_window") ? r.positiveInt("sliding_window", 0) : 4096;
    if (type == "mistral") {
        readLayerTypes(r, c, window, [&](int) { return window > 0; });
    } else if (type == "qwen2" || type == "qwen3") {
        const bool use = r.flag("use_sliding_window", false);
        const int from = r.integer("max_window_layers", 28);
        if (from < 0) r.fail("\"max_window_layers\" must be >= 0, got " + std::to_string(from));
        if (!use) window = 0;
        readLayerTypes(r, c, window, [&](int l) { return use && window > 0 && l >= from; });
    } else {
        readLayerTypes(r, c, window, [](int) { return false; });
    }
}

std::unique_ptr<Architecture> buildLlama(const ModelConfig& c) { return std::make_unique<Llama>(c); }

} // namespace

const Family& llamaFamily() {
    static const Family f = [] {
        Family g{{"llama", "mistral", "qwen2", "qwen3"}, readLlama, buildLlama};
        g.bufferSuffixes = {".rotary_emb.inv_freq"};   // rotary positions, a gated MLP: the default traits
        return g;
    }();
    return f;
}

} // namespace headlight
