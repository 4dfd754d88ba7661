// GPT-NeoX / Pythia (Black et al. 2022), Hugging Face modeling_gpt_neox: one fused query_key_value projection
// laid out per head ([q_h, k_h, v_h] for each head h), partial rotary, parallel residual, untied embed_out.
#include "families/family.h"
#include "checkpoint/config_reader.h"

namespace headlight {
namespace {

struct NeoxLayer {
    torch::Tensor ln1W, ln1B, ln2W, ln2B;      // input_layernorm, post_attention_layernorm [D]
    torch::Tensor qkvW, qkvB;                  // attention.query_key_value [3D,D], [3D]
    torch::Tensor oW, oB;                      // attention.dense [D,D]
    torch::Tensor upW, upB, downW, downB;      // mlp.dense_h_to_4h [F,D], mlp.dense_4h_to_h [D,F]
};

class GptNeox final : public Architecture {
public:
    explicit GptNeox(const ModelConfig& c) : Architecture(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t V = c_.vocabSize, D = c_.nEmbd, F = c_.mlpWidth();
        const bool bias = c_.attentionBias;
        v({&embed_, "gpt_neox.embed_in.weight", {V, D}, Init::normal()});
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
            v({&w.ln1W, p + "input_layernorm.weight", {D}, Init::ones()});
            v({&w.ln1B, p + "input_layernorm.bias", {D}, Init::zeros()});
            v({&w.ln2W, p + "post_attention_layernorm.weight", {D}, Init::ones()});
            v({&w.ln2B, p + "post_attention_layernorm.bias", {D}, Init::zeros()});
            v({&w.qkvW, p + "attention.query_key_value.weight", {3 * D, D}, Init::normal()});
            if (bias) v({&w.qkvB, p + "attention.query_key_value.bias", {3 * D}, Init::zeros()});
            v({&w.oW, p + "attention.dense.weight", {D, D}, Init::residual()});
            if (bias) v({&w.oB, p + "attention.dense.bias", {D}, Init::zeros()});
            visitMechanisms(l, p + "attention.", v);
            v({&w.upW, p + "mlp.dense_h_to_4h.weight", {F, D}, Init::normal()});
            v({&w.upB, p + "mlp.dense_h_to_4h.bias", {F}, Init::zeros()});
            v({&w.downW, p + "mlp.dense_4h_to_h.weight", {D, F}, Init::residual()});
            v({&w.downB, p + "mlp.dense_4h_to_h.bias", {D}, Init::zeros()});
        }
        v({&normW_, "gpt_neox.final_layer_norm.weight", {D}, Init::ones()});
        v({&normB_, "gpt_neox.final_layer_norm.bias", {D}, Init::zeros()});
        if (!c_.tieWordEmbeddings) v({&out_, "embed_out.weight", {V, D}, Init::normal()});
    }

    std::string canonicalName(const std::string& n) const override {
        if (c_.tieWordEmbeddings && n == "embed_out.weight") return "";
        return n;
    }

    torch::Tensor embed(const torch::Tensor& ids) const override {
        return embeddingRows(embed_, ids.reshape(-1)).view({ids.size(0), ids.size(1), c_.nEmbd});   // [B,T,D]
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const int64_t B = x.size(0), T = x.size(1), H = c_.nHead, d = c_.headDim();
        const double eps = c_.layerNormEpsilon;
        auto qkv = dense(layerNorm(x, w.ln1W, w.ln1B, eps), w.qkvW, w.qkvB).view({B, T, H, 3 * d}).transpose(1, 2);   // [B,H,T,3d]
        auto q = applyRotary(qkv.narrow(-1, 0, d), *ctx.rotary);
        auto k = applyRotary(qkv.narrow(-1, d, d), *ctx.rotary);
        auto project = [&](const torch::Tensor& merged) { return dense(merged, w.oW, w.oB); };
        auto attn = ctx.attentionWrite(ctx.attend(q, k, qkv.narrow(-1, 2 * d, d)), H, project);
        auto mlp = [&](const torch::Tensor& h) {
            return ctx.mlpWrite(dense(activation(dense(layerNorm(h, w.ln2W, w.ln2B, eps), w.upW, w.upB), c_.activationFunction), w.downW, w.downB));
        };
        if (c_.parallelResidual) return x + attn + mlp(x);                         // x + attn(ln1 x) + mlp(ln2 x)
        auto h = x + attn;
        return h + mlp(h);
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return layerNorm(x, normW_, normB_, c_.layerNormEpsilon); }
    torch::Tensor logits(const torch::Tensor& h) const override { return product(h, (out_.defined() ? out_ : embed_).t()); }
    std::string outputLayer() const override { return out_.defined() ? "embed_out" : "tied to gpt_neox.embed_in"; }
    std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const override {
        ledger.residualNorm(Norm::layer(normW_, normB_, c_.layerNormEpsilon), x);
        return ledger.dot((out_.defined() ? out_ : embed_).select(0, target));
    }

private:
    torch::Tensor embed_, normW_, normB_, out_;
    std::vector<NeoxLayer> layers_;
};

void readGptNeox(ConfigReader& r, ModelConfig& c) {
    readSizes(r, c, "layer_norm_eps", 1e-5, {"hidden_act"}, "gelu");
    requireHeadsDivideHidden(r, c);
    // transformers reads GPT-NeoX's own spellings (rotary_emb_base, rotary_pct); the Llama ones must agree.
    RotaryKeys keys;
    keys.theta = "rotary_emb_base";
    keys.thetaAlias = "rope_theta";
    keys.partial = "rotary_pct";
    keys.partialAlias = "partial_rotary_factor";
    keys.partialDefault = 0.25;
    readRotary(r, c, c.headDim(), keys);
    c.parallelResidual = r.flag("use_parallel_residual", true);
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", false);
    c.attentionBias = r.flag("attention_bias", true);
    r.inert({"is_decoder"});
}

std::unique_ptr<Architecture> buildGptNeox(const ModelConfig& c) { return std::make_unique<GptNeox>(c); }

} // namespace

const Family& gptNeoxFamily() {
    static const Family f = [] {
        Family g{{"gpt_neox"}, readGptNeox, buildGptNeox};
        g.bufferSuffixes = {".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq"};
        g.traits.mlpMatrices = 2;
        return g;
    }();
    return f;
}

} // namespace headlight
