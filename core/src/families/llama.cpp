// Llama and the families that differ from it in a few switches (Hugging Face modeling_llama, _mistral,
// _qwen2, _qwen3): RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP.
//   Mistral: a sliding window on every layer.   Qwen2: q/k/v biases, windows from max_window_layers on.
//   Qwen3: RMSNorm of each head's q and k before rotary, an explicit head_dim.
#include "families/family.h"
#include "checkpoint/config_reader.h"

namespace headlight {
namespace {

struct LlamaLayer {
    torch::Tensor inNorm;                // input_layernorm [D]
    torch::Tensor qW, kW, vW, oW;        // [H*d,D], [Hkv*d,D], [Hkv*d,D], [D,H*d]
    torch::Tensor qB, kB, vB, oB;        // biases where the family has them
    torch::Tensor qNorm, kNorm;          // [d] (Qwen3)
    torch::Tensor postNorm;              // post_attention_layernorm [D] (before the MLP)
    torch::Tensor gateW, upW, downW;     // [F,D], [F,D], [D,F]
    torch::Tensor gateB, upB, downB;     // mlp_bias
};

class Llama final : public Architecture {
public:
    explicit Llama(const ModelConfig& c) : Architecture(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t V = c_.vocabSize, D = c_.nEmbd, F = c_.mlpWidth(), d = c_.headDim();
        const int64_t Q = c_.nHead * d, K = c_.kvHeads() * d;
        const bool oBias = c_.attentionBias && c_.modelType != "qwen2";   // Qwen2: q/k/v biases only
        v({&embed_, "model.embed_tokens.weight", {V, D}, Init::normal()});
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = "model.layers." + std::to_string(l) + ".", a = p + "self_attn.", m = p + "mlp.";
            v({&w.inNorm, p + "input_layernorm.weight", {D}, Init::ones()});
            v({&w.qW, a + "q_proj.weight", {Q, D}, Init::normal()});
            if (c_.attentionBias) v({&w.qB, a + "q_proj.bias", {Q}, Init::zeros()});
            v({&w.kW, a + "k_proj.weight", {K, D}, Init::normal()});
            if (c_.attentionBias) v({&w.kB, a + "k_proj.bias", {K}, Init::zeros()});
            v({&w.vW, a + "v_proj.weight", {K, D}, Init::normal()});
            if (c_.attentionBias) v({&w.vB, a + "v_proj.bias", {K}, Init::zeros()});
            v({&w.oW, a + "o_proj.weight", {D, Q}, Init::residual()});
            if (oBias) v({&w.oB, a + "o_proj.bias", {D}, Init::zeros()});
            if (c_.qkNorm) {
                v({&w.qNorm, a + "q_norm.weight", {d}, Init::ones()});
                v({&w.kNorm, a + "k_norm.weight", {d}, Init::ones()});
            }
            visitMechanisms(l, a, v);
            v({&w.postNorm, p + "post_attention_layernorm.weight", {D}, Init::ones()});
            v({&w.gateW, m + "gate_proj.weight", {F, D}, Init::normal()});
            if (c_.mlpBias) v({&w.gateB, m + "gate_proj.bias", {F}, Init::zeros()});
            v({&w.upW, m + "up_proj.weight", {F, D}, Init::normal()});
            if (c_.mlpBias) v({&w.upB, m + "up_proj.bias", {F}, Init::zeros()});
            v({&w.downW, m + "down_proj.weight", {D, F}, Init::residual()});
            if (c_.mlpBias) v({&w.downB, m + "down_proj.bias", {D}, Init::zeros()});
        }
        v({&norm_, "model.norm.weight", {D}, Init::ones()});
        if (!c_.tieWordEmbeddings) v({&lmHead_, "lm_head.weight", {V, D}, Init::normal()});
    }

    // A tied output layer is the embedding, whatever a file stores under lm_head (as transformers ties it).
    std::string canonicalName(const std::string& n) const override {
        return c_.tieWordEmbeddings && n == "lm_head.weight" ? "" : n;
    }

    torch::Tensor embed(const torch::Tensor& ids) const override {
        return embeddingRows(embed_, ids.reshape(-1)).view({ids.size(0), ids.size(1), c_.nEmbd});   // [B,T,D]
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const double eps = c_.layerNormEpsilon;
        auto h = rmsNorm(x, w.inNorm, eps);
        auto q = splitHeads(dense(h, w.qW, w.qB), c_.nHead);                     // [B,H,T,d]
        auto k = splitHeads(dense(h, w.kW, w.kB), c_.kvHeads());                 // [B,Hkv,T,d]
        auto v = splitHeads(dense(h, w.vW, w.vB), c_.kvHeads());
        if (c_.qkNorm) {
            q = rmsNorm(q, w.qNorm, eps);
            k = rmsNorm(k, w.kNorm, eps);
        }
        q = applyRotary(q, *ctx.rotary);
        k = applyRotary(k, *ctx.rotary);
        auto out = x + dense(ctx.attend(q, k, v), w.oW, w.oB);
        auto m = rmsNorm(out, w.postNorm, eps);
        auto gated = activation(dense(m, w.gateW, w.gateB), c_.activationFunction) * dense(m, w.upW, w.upB);   // [B,T,F]
        return out + dense(gated, w.downW, w.downB);
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return rmsNorm(x, norm_, c_.layerNormEpsilon); }
    torch::Tensor logits(const torch::Tensor& h) const override {
        return product(h, (lmHead_.defined() ? lmHead_ : embed_).t());       // [B,T,V]
    }
    std::string outputLayer() const override { return lmHead_.defined() ? "lm_head" : "tied to model.embed_tokens"; }

private:
    torch::Tensor embed_, norm_, lmHead_;
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
    static const Family f{{"llama", "mistral", "qwen2", "qwen3"}, readLlama, buildLlama, {".rotary_emb.inv_freq"}};
    return f;
}

} // namespace headlight
