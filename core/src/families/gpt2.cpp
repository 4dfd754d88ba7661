// GPT-2 (Radford et al. 2019) and our native format ("headlight": GPT-2's layout plus mechanisms).
// Hugging Face's modeling_gpt2: Conv1D weights [in,out], learned positions, pre-LayerNorm, tied output.
#include "families/family.h"
#include "checkpoint/config_reader.h"

namespace headlight {
namespace {

struct Gpt2Layer {
    torch::Tensor ln1W, ln1B;            // [D]
    torch::Tensor qkvW, qkvB;            // attn.c_attn: [D,3D], [3D]
    torch::Tensor projW, projB;          // attn.c_proj: [D,D], [D]
    torch::Tensor ln2W, ln2B;            // [D] (absent in all-attention layers)
    torch::Tensor fcW, fcB;              // mlp.c_fc: [D,F], [F]
    torch::Tensor outW, outB;            // mlp.c_proj: [F,D], [D]
};

class Gpt2 final : public Architecture {
public:
    explicit Gpt2(const ModelConfig& c) : Architecture(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t V = c_.vocabSize, D = c_.nEmbd, P = c_.nPositions, F = c_.mlpWidth();
        v({&wte_, "wte.weight", {V, D}, Init::normal(0.02)});
        v({&wpe_, "wpe.weight", {P, D}, Init::normal(0.01)});
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = "h." + std::to_string(l) + ".";
            v({&w.ln1W, p + "ln_1.weight", {D}, Init::ones()});
            v({&w.ln1B, p + "ln_1.bias", {D}, Init::zeros()});
            v({&w.qkvW, p + "attn.c_attn.weight", {D, 3 * D}, Init::normal()});
            v({&w.qkvB, p + "attn.c_attn.bias", {3 * D}, Init::zeros()});
            v({&w.projW, p + "attn.c_proj.weight", {D, D}, Init::residual()});
            v({&w.projB, p + "attn.c_proj.bias", {D}, Init::zeros()});
            visitMechanisms(l, p + "attn.", v);
            if (!c_.hasMlp()) continue;
            v({&w.ln2W, p + "ln_2.weight", {D}, Init::ones()});
            v({&w.ln2B, p + "ln_2.bias", {D}, Init::zeros()});
            v({&w.fcW, p + "mlp.c_fc.weight", {D, F}, Init::normal()});
            v({&w.fcB, p + "mlp.c_fc.bias", {F}, Init::zeros()});
            v({&w.outW, p + "mlp.c_proj.weight", {F, D}, Init::residual()});
            v({&w.outB, p + "mlp.c_proj.bias", {D}, Init::zeros()});
        }
        v({&lnfW_, "ln_f.weight", {D}, Init::ones()});
        v({&lnfB_, "ln_f.bias", {D}, Init::zeros()});
        v({&lmHead_, "lm_head.weight", {V, D}, Init::normal(), /*optional=*/c_.tieWordEmbeddings});
    }

    std::string canonicalName(const std::string& n) const override {
        return n.rfind("transformer.", 0) == 0 ? n.substr(12) : n;
    }

    torch::Tensor embed(const torch::Tensor& ids) const override {
        const int64_t T = ids.size(1);
        auto positions = torch::arange(T, ids.options());
        return embeddingRows(wte_, ids.reshape(-1)).view({ids.size(0), T, c_.nEmbd}) +
               embeddingRows(wpe_, positions).unsqueeze(0);                        // [B,T,D]
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const int64_t D = c_.nEmbd;
        auto qkv = conv1d(layerNorm(x, w.ln1W, w.ln1B, c_.layerNormEpsilon), w.qkvW, w.qkvB);   // [B,T,3D]
        auto part = [&](int i) { return splitHeads(qkv.narrow(-1, i * D, D), c_.nHead); };   // [B,H,T,d]
        auto project = [&](const torch::Tensor& merged) { return conv1d(merged, w.projW, w.projB); };
        auto out = x + ctx.attentionWrite(ctx.attend(part(0), part(1), part(2)), c_.nHead, project);
        if (!c_.hasMlp()) return out;                                               // all-attention layer
        auto m = activation(conv1d(layerNorm(out, w.ln2W, w.ln2B, c_.layerNormEpsilon), w.fcW, w.fcB), c_.activationFunction);
        return out + ctx.mlpWrite(conv1d(m, w.outW, w.outB));
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return layerNorm(x, lnfW_, lnfB_, c_.layerNormEpsilon); }
    torch::Tensor logits(const torch::Tensor& h) const override {
        return product(h, (lmHead_.defined() ? lmHead_ : wte_).t());          // [B,T,V]
    }
    std::string outputLayer() const override { return lmHead_.defined() ? "lm_head" : "tied to wte"; }
    std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const override {
        ledger.residualNorm(Norm::layer(lnfW_, lnfB_, c_.layerNormEpsilon), x);
        return ledger.dot((lmHead_.defined() ? lmHead_ : wte_).select(0, target));
    }

private:
    torch::Tensor wte_, wpe_, lnfW_, lnfB_, lmHead_;
    std::vector<Gpt2Layer> layers_;
};

void readGpt2(ConfigReader& r, ModelConfig& c) {
    c.vocabSize = r.positiveInt("vocab_size");
    c.nLayer = r.layerCount("n_layer");
    c.nHead = r.positiveInt("n_head");
    c.nEmbd = r.positiveInt("n_embd");
    c.nPositions = r.positiveInt("n_positions");
    if (c.nEmbd % c.nHead != 0)
        r.fail("n_embd (" + std::to_string(c.nEmbd) + ") is not divisible by n_head (" + std::to_string(c.nHead) + ")");
    c.layerNormEpsilon = r.positiveNumber("layer_norm_epsilon", 1e-5);
    c.activationFunction = r.string("activation_function", "gelu_new");
    if (!isSupportedActivation(c.activationFunction))
        r.fail("\"activation_function\" = \"" + c.activationFunction + "\" is not supported (gelu_new, gelu, relu, silu)");
    if (c.activationFunction == "gelu_pytorch_tanh") c.activationFunction = "gelu_new";   // one function, two names
    c.intermediateSize = r.positiveInt("n_inner", 0);
    if (!r.flag("scale_attn_weights", true)) c.attentionScale = 1.0;
    c.scaleByInverseLayer = r.flag("scale_attn_by_inverse_layer_idx", false);
    // Upcasting reorders float16 arithmetic; attention here is float32 throughout, which is what it asks for.
    r.flag("reorder_and_upcast_attn", false);
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", true);
    r.pinned("add_cross_attention", false, "decoder-only models");
    r.pinned("is_encoder_decoder", false, "decoder-only models");
    r.inert({"n_ctx"});
}

std::unique_ptr<Architecture> buildGpt2(const ModelConfig& c) { return std::make_unique<Gpt2>(c); }

} // namespace

const Family& gpt2Family() {
    static const Family f = [] {
        Family g{{"gpt2", "headlight"}, readGpt2, buildGpt2};
        g.bufferSuffixes = {".attn.bias", ".attn.masked_bias"};
        g.traits.positions = "learned absolute";
        g.traits.mlpMatrices = 2;
        g.traits.ownLayout = true;
        g.traits.positionsKey = "n_positions";
        g.traits.typeWithMechanisms = "headlight";
        return g;
    }();
    return f;
}

} // namespace headlight
