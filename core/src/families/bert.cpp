// BERT (Devlin et al. 2019), Hugging Face modeling_bert: bidirectional attention, post-LayerNorm, word +
// position + token-type embeddings (every input is type 0), and the masked-LM head when the file has it.
#include "families/family.h"
#include "checkpoint/config_reader.h"
#include "headlight/error.h"

namespace headlight {
namespace {

struct BertLayer {
    torch::Tensor qW, qB, kW, kB, vW, vB;          // attention.self.{query,key,value}: [D,D], [D]
    torch::Tensor oW, oB, attnNormW, attnNormB;    // attention.output.dense, attention.output.LayerNorm
    torch::Tensor upW, upB;                        // intermediate.dense [F,D]
    torch::Tensor downW, downB, outNormW, outNormB;// output.dense [D,F], output.LayerNorm
};

class Bert final : public Architecture {
public:
    explicit Bert(const ModelConfig& c) : Architecture(c), layers_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t V = c_.vocabSize, D = c_.nEmbd, F = c_.mlpWidth(), P = c_.nPositions;
        const std::string e = "bert.embeddings.";
        v({&word_, e + "word_embeddings.weight", {V, D}, Init::normal()});
        v({&pos_, e + "position_embeddings.weight", {P, D}, Init::normal()});
        v({&type_, e + "token_type_embeddings.weight", {c_.typeVocabSize, D}, Init::normal()});
        v({&embNormW_, e + "LayerNorm.weight", {D}, Init::ones()});
        v({&embNormB_, e + "LayerNorm.bias", {D}, Init::zeros()});
        for (int l = 0; l < c_.nLayer; ++l) {
            auto& w = layers_[static_cast<size_t>(l)];
            const std::string p = "bert.encoder.layer." + std::to_string(l) + ".", a = p + "attention.";
            v({&w.qW, a + "self.query.weight", {D, D}, Init::normal()});
            v({&w.qB, a + "self.query.bias", {D}, Init::zeros()});
            v({&w.kW, a + "self.key.weight", {D, D}, Init::normal()});
            v({&w.kB, a + "self.key.bias", {D}, Init::zeros()});
            v({&w.vW, a + "self.value.weight", {D, D}, Init::normal()});
            v({&w.vB, a + "self.value.bias", {D}, Init::zeros()});
            visitMechanisms(l, a + "self.", v);
            v({&w.oW, a + "output.dense.weight", {D, D}, Init::normal()});
            v({&w.oB, a + "output.dense.bias", {D}, Init::zeros()});
            v({&w.attnNormW, a + "output.LayerNorm.weight", {D}, Init::ones()});
            v({&w.attnNormB, a + "output.LayerNorm.bias", {D}, Init::zeros()});
            v({&w.upW, p + "intermediate.dense.weight", {F, D}, Init::normal()});
            v({&w.upB, p + "intermediate.dense.bias", {F}, Init::zeros()});
            v({&w.downW, p + "output.dense.weight", {D, F}, Init::normal()});
            v({&w.downB, p + "output.dense.bias", {D}, Init::zeros()});
            v({&w.outNormW, p + "output.LayerNorm.weight", {D}, Init::ones()});
            v({&w.outNormB, p + "output.LayerNorm.bias", {D}, Init::zeros()});
        }
        // The pooler (BertModel) serves sentence classification, not attention or the masked-LM head.
        v({&poolW_, "bert.pooler.dense.weight", {D, D}, Init::normal(), true});
        v({&poolB_, "bert.pooler.dense.bias", {D}, Init::zeros(), true});
        const std::string h = "cls.predictions.";
        v({&headW_, h + "transform.dense.weight", {D, D}, Init::normal(), true, true});
        v({&headB_, h + "transform.dense.bias", {D}, Init::zeros(), true, true});
        v({&headNormW_, h + "transform.LayerNorm.weight", {D}, Init::ones(), true, true});
        v({&headNormB_, h + "transform.LayerNorm.bias", {D}, Init::zeros(), true, true});
        v({&outBias_, h + "bias", {V}, Init::zeros(), true, true});
    }

    std::string canonicalName(const std::string& fileName) const override {
        std::string n = fileName;
        auto endsWith = [&](const std::string& s) { return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
        if (n.rfind("cls.seq_relationship.", 0) == 0) return "";   // the next-sentence head: not computed
        if (n == "cls.predictions.decoder.weight" || n == "cls.predictions.decoder.bias") return "";   // tied: word_embeddings, bias
        for (const char* top : {"embeddings.", "encoder.", "pooler."})
            if (n.rfind(top, 0) == 0) n = "bert." + n;                              // BertModel files have no prefix
        if (endsWith("LayerNorm.gamma")) n = n.substr(0, n.size() - 5) + "weight";   // TensorFlow-era names
        if (endsWith("LayerNorm.beta")) n = n.substr(0, n.size() - 4) + "bias";
        return n;
    }

    torch::Tensor embed(const torch::Tensor& ids) const override {
        const int64_t B = ids.size(0), T = ids.size(1);
        auto positions = torch::arange(T, ids.options());
        auto x = embeddingRows(word_, ids.reshape(-1)).view({B, T, c_.nEmbd}) + type_.select(0, 0) +
                 embeddingRows(pos_, positions).unsqueeze(0);                           // [B,T,D]
        return layerNorm(x, embNormW_, embNormB_, c_.layerNormEpsilon);
    }

    torch::Tensor layer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = layers_[static_cast<size_t>(l)];
        const double eps = c_.layerNormEpsilon;
        auto q = splitHeads(dense(x, w.qW, w.qB), c_.nHead), k = splitHeads(dense(x, w.kW, w.kB), c_.nHead),
             v = splitHeads(dense(x, w.vW, w.vB), c_.nHead);                           // [B,H,T,d]
        auto project = [&](const torch::Tensor& merged) { return dense(merged, w.oW, w.oB); };
        auto h = ctx.residualNorm(Norm::layer(w.attnNormW, w.attnNormB, eps), x + ctx.attentionWrite(ctx.attend(q, k, v), c_.nHead, project));
        auto m = ctx.mlpWrite(dense(activation(dense(h, w.upW, w.upB), c_.activationFunction), w.downW, w.downB));
        return ctx.residualNorm(Norm::layer(w.outNormW, w.outNormB, eps), h + m);
    }

    torch::Tensor finalNorm(const torch::Tensor& x) const override { return x; }   // post-LN: the last layer normalizes

    // The masked-LM head: dense, activation, LayerNorm, then the (tied) word embeddings and a bias. Without
    // it (BertModel weights) there are no logits.
    torch::Tensor logits(const torch::Tensor& h) const override {
        if (!headW_.defined()) return {};
        auto t = layerNorm(activation(dense(h, headW_, headB_), c_.activationFunction), headNormW_, headNormB_, c_.layerNormEpsilon);
        return product(t, word_.t()) + outBias_;                                     // [B,T,V]
    }
    // The masked-LM head followed part by part: its dense layer, its activation frozen as a gain at the position
    // (as the norms are), its LayerNorm, then the decoder row and bias of `target`.
    std::vector<double> attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const override {
        if (!headW_.defined()) throw Error("attribute", "the model has no masked-LM head, so no logits to attribute");
        const auto z = dense(x, headW_, headB_);                                     // [1,T,D]
        ledger.affine(headW_, headB_);
        ledger.frozenActivation(z.select(0, 0).select(0, ledger.position()), c_.activationFunction);
        ledger.residualNorm(Norm::layer(headNormW_, headNormB_, c_.layerNormEpsilon), activation(z, c_.activationFunction));
        return ledger.dot(word_.select(0, target), outBias_[target].item<double>());
    }
    std::string outputLayer() const override {
        return headW_.defined() ? "masked-LM head, decoder tied to bert.embeddings.word_embeddings" : "none (no masked-LM head)";
    }

private:
    torch::Tensor word_, pos_, type_, embNormW_, embNormB_, poolW_, poolB_;
    torch::Tensor headW_, headB_, headNormW_, headNormB_, outBias_;
    std::vector<BertLayer> layers_;
};

void readBert(ConfigReader& r, ModelConfig& c) {
    c.causal = false;
    readSizes(r, c, "layer_norm_eps", 1e-12, {"hidden_act"}, "gelu");
    requireHeadsDivideHidden(r, c);
    c.typeVocabSize = r.positiveInt("type_vocab_size", 2);
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", true);
    if (!c.tieWordEmbeddings) r.fail("\"tie_word_embeddings\" = false is not supported for BERT (the decoder is the word embeddings)");
    r.pinned("position_embedding_type", "absolute", "absolute positions only");
    r.pinned("is_decoder", false, "BERT as an encoder: bidirectional attention");
    r.pinned("add_cross_attention", false, "no cross-attention");
    r.inert({"gradient_checkpointing"});
}

std::unique_ptr<Architecture> buildBert(const ModelConfig& c) { return std::make_unique<Bert>(c); }

} // namespace

const Family& bertFamily() {
    static const Family f = [] {
        Family g{{"bert"}, readBert, buildBert};
        g.bufferSuffixes = {"embeddings.position_ids", "embeddings.token_type_ids"};
        g.traits.positions = "learned absolute";
        g.traits.mlpMatrices = 2;
        return g;
    }();
    return f;
}

} // namespace headlight
