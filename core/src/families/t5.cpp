// T5 (Raffel et al. 2020; transformers' modeling_t5.py), v1.0 and v1.1 / Flan-T5: pre-norm layers with T5's
// norm (RMS, no mean, no bias), no biases anywhere, unscaled scores plus a relative position bias that layer 0
// of each stack computes from its buckets and every layer of the stack adds (none in cross-attention), a ReLU or
// gated-GELU feed-forward, and a tied output layer that first scales by d_model^-0.5.
#include "families/encoder_decoder.h"
#include "checkpoint/config_reader.h"

#include <cmath>

namespace headlight {
namespace {

struct Projections {
    torch::Tensor qW, kW, vW, oW;   // q, k, v [H*d, D]; o [D, H*d]
};

struct T5Layer {
    Projections self, cross;
    torch::Tensor selfNorm, crossNorm, mlpNorm;
    torch::Tensor wi, wi1, wo;       // wi (ReLU) or wi_0 (gate); wi_1 (linear, gated only); wo
};

class T5 final : public EncoderDecoderArchitecture {
public:
    T5(const ModelConfig& c, bool gated)
        : EncoderDecoderArchitecture(c), gated_(gated), encoder_(static_cast<size_t>(c.encoderDecoder->layers)),
          decoder_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const int64_t D = c_.nEmbd;
        v({&shared_, "shared.weight", {c_.vocabSize, D}, Init::normal()});
        for (const char* stack : {"encoder", "decoder"}) {
            const bool decoder = stack[0] == 'd';
            auto& layers = decoder ? decoder_ : encoder_;
            const int64_t F = decoder ? c_.mlpWidth() : c_.encoderDecoder->mlpWidth;
            for (size_t l = 0; l < layers.size(); ++l) {
                auto& w = layers[l];
                const std::string p = std::string(stack) + ".block." + std::to_string(l) + ".layer.";
                visitProjections(v, w.self, p + "0.SelfAttention.");
                if (l == 0)
                    v({decoder ? &decoderBias_ : &encoderBias_, p + "0.SelfAttention.relative_attention_bias.weight",
                       {c_.encoderDecoder->relativeBuckets, c_.nHead}, Init::normal()});
                v({&w.selfNorm, p + "0.layer_norm.weight", {D}, Init::ones()});
                const std::string mlp = p + (decoder ? "2." : "1.");
                if (decoder) {
                    visitProjections(v, w.cross, p + "1.EncDecAttention.");
                    v({&w.crossNorm, p + "1.layer_norm.weight", {D}, Init::ones()});
                }
                if (gated_) {
                    v({&w.wi, mlp + "DenseReluDense.wi_0.weight", {F, D}, Init::normal()});
                    v({&w.wi1, mlp + "DenseReluDense.wi_1.weight", {F, D}, Init::normal()});
                } else {
                    v({&w.wi, mlp + "DenseReluDense.wi.weight", {F, D}, Init::normal()});
                }
                v({&w.wo, mlp + "DenseReluDense.wo.weight", {D, F}, Init::normal()});
                v({&w.mlpNorm, mlp + "layer_norm.weight", {D}, Init::ones()});
            }
            v({decoder ? &decoderNorm_ : &encoderNorm_, std::string(stack) + ".final_layer_norm.weight", {D}, Init::ones()});
        }
        if (!c_.tieWordEmbeddings) v({&out_, "lm_head.weight", {c_.vocabSize, D}, Init::normal()});
    }

    std::string canonicalName(const std::string& n) const override {
        if (n == "encoder.embed_tokens.weight" || n == "decoder.embed_tokens.weight") return "";   // copies of shared
        if (c_.tieWordEmbeddings && n == "lm_head.weight") return "";
        return n;
    }

    torch::Tensor embedSource(const torch::Tensor& ids) const override { return embed(ids); }
    torch::Tensor embedTarget(const torch::Tensor& ids) const override { return embed(ids); }

    torch::Tensor encoderLayer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = encoder_[static_cast<size_t>(l)];
        auto h = x + attention(w.self, norm(x, w.selfNorm), {}, ctx.attend);
        return h + mlp(w, norm(h, w.mlpNorm));
    }

    torch::Tensor decoderLayer(int l, const torch::Tensor& x, const torch::Tensor& source, const LayerContext& ctx) const override {
        const auto& w = decoder_[static_cast<size_t>(l)];
        auto h = x + attention(w.self, norm(x, w.selfNorm), {}, ctx.attend);
        h = h + attention(w.cross, norm(h, w.crossNorm), source, ctx.attendSource);
        return h + mlp(w, norm(h, w.mlpNorm));
    }

    torch::Tensor encoderFinalNorm(const torch::Tensor& x) const override { return norm(x, encoderNorm_); }
    torch::Tensor decoderFinalNorm(const torch::Tensor& x) const override { return norm(x, decoderNorm_); }

    torch::Tensor logits(const torch::Tensor& h) const override {
        if (out_.defined()) return product(h, out_.t());
        return product(h * std::pow(static_cast<double>(c_.nEmbd), -0.5), shared_.t());   // the tied head rescales
    }
    std::string outputLayer() const override { return out_.defined() ? "lm_head" : "tied to shared (scaled by d_model^-0.5)"; }

    // position_bias of layer 0: the table's row for bucket(key - query), [1,H,T,T].
    torch::Tensor selfAttentionBias(bool decoder, int64_t T, const torch::Device& device) const override {
        const auto& e = *c_.encoderDecoder;
        auto pos = torch::arange(T, torch::kLong);
        auto relative = pos.unsqueeze(0) - pos.unsqueeze(1);                               // [T,T] key - query
        auto buckets = relativeBuckets(relative, !decoder, e.relativeBuckets, e.relativeMaxDistance).to(device);
        const auto& table = decoder ? decoderBias_ : encoderBias_;                         // [buckets, H]
        return table.index_select(0, buckets.reshape(-1)).view({T, T, c_.nHead}).permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat);
    }

private:
    using Attend = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;

    // transformers' T5Attention._relative_position_bucket, in its dtypes (the logarithm in float32, truncated).
    static torch::Tensor relativeBuckets(torch::Tensor relative, bool bidirectional, int64_t buckets, int64_t maxDistance) {
        auto result = torch::zeros_like(relative);
        if (bidirectional) {
            buckets /= 2;
            result = result + (relative > 0).to(torch::kLong) * buckets;
            relative = relative.abs();
        } else {
            relative = -torch::clamp_max(relative, 0);
        }
        const int64_t maxExact = buckets / 2;
        auto isSmall = relative < maxExact;
        auto large = maxExact + (torch::log(relative.to(torch::kFloat) / static_cast<float>(maxExact)) /
                                 std::log(static_cast<float>(maxDistance) / static_cast<float>(maxExact)) *
                                 static_cast<float>(buckets - maxExact)).to(torch::kLong);
        large = torch::clamp_max(large, buckets - 1);
        return result + torch::where(isSmall, relative, large);
    }

    void visitProjections(const TensorVisitor& v, Projections& w, const std::string& p) const {
        const int64_t D = c_.nEmbd, inner = static_cast<int64_t>(c_.nHead) * c_.headDim();
        v({&w.qW, p + "q.weight", {inner, D}, Init::normal()});
        v({&w.kW, p + "k.weight", {inner, D}, Init::normal()});
        v({&w.vW, p + "v.weight", {inner, D}, Init::normal()});
        v({&w.oW, p + "o.weight", {D, inner}, Init::normal()});
    }

    torch::Tensor embed(const torch::Tensor& ids) const {
        return embeddingRows(shared_, ids.reshape(-1)).view({ids.size(0), ids.size(1), c_.nEmbd});
    }
    torch::Tensor norm(const torch::Tensor& x, const torch::Tensor& w) const { return rmsNorm(x, w, c_.layerNormEpsilon); }

    // q from `x`; keys and values from `source` (cross-attention) or from `x` itself.
    torch::Tensor attention(const Projections& w, const torch::Tensor& x, const torch::Tensor& source, const Attend& attend) const {
        const auto& kv = source.defined() ? source : x;
        auto q = splitHeads(dense(x, w.qW));                                               // [B,H,T,d]
        auto k = splitHeads(dense(kv, w.kW));                                              // [B,H,S,d]
        auto v = splitHeads(dense(kv, w.vW));
        return dense(attend(q, k, v), w.oW);                                               // [B,T,D]
    }

    torch::Tensor mlp(const T5Layer& w, const torch::Tensor& h) const {
        if (gated_) return dense(activation(dense(h, w.wi), c_.activationFunction) * dense(h, w.wi1), w.wo);
        return dense(activation(dense(h, w.wi), c_.activationFunction), w.wo);
    }

    bool gated_;
    torch::Tensor shared_, encoderBias_, decoderBias_, encoderNorm_, decoderNorm_, out_;
    std::vector<T5Layer> encoder_, decoder_;
};

// feed_forward_proj "ACT" or "gated-ACT" as transformers' T5Config splits it ("gated-gelu" means gelu_new).
bool readFeedForward(ConfigReader& r, ModelConfig& c) {
    const std::string proj = r.string("feed_forward_proj", "relu");
    const bool gated = proj.rfind("gated-", 0) == 0;
    const std::string act = gated ? proj.substr(6) : proj;
    if (act.find('-') != std::string::npos || act.empty())
        r.fail("feed_forward_proj \"" + proj + "\" is not of the form ACT or gated-ACT");
    c.activationFunction = proj == "gated-gelu" ? "gelu_new" : act;
    if (!isSupportedActivation(c.activationFunction)) r.fail("feed_forward_proj's activation \"" + act + "\" is not supported");
    return gated;
}

void readT5(ConfigReader& r, ModelConfig& c) {
    EncoderDecoderConfig e;
    c.vocabSize = r.positiveInt("vocab_size");
    e.sourceVocabSize = c.vocabSize;
    c.nEmbd = r.positiveInt("d_model");
    c.headDimension = r.positiveInt("d_kv");
    c.nHead = r.positiveInt("num_heads");
    e.layers = r.layerCount("num_layers");
    c.nLayer = r.has("num_decoder_layers") ? r.layerCount("num_decoder_layers") : e.layers;
    c.intermediateSize = r.positiveInt("d_ff");
    e.mlpWidth = c.intermediateSize;
    e.relativeBuckets = r.positiveInt("relative_attention_num_buckets", 32);
    e.relativeMaxDistance = r.positiveInt("relative_attention_max_distance", 128);
    if (e.relativeBuckets < 4) r.fail("relative_attention_num_buckets must be at least 4");
    if (e.relativeMaxDistance <= e.relativeBuckets / 4) r.fail("relative_attention_max_distance must exceed num_buckets / 4");
    // T5 has no longest input; its relative positions read any length. n_positions, when a file has it, is the
    // length it was trained on, kept as the longest input here as for the other families.
    c.nPositions = r.positiveInt("n_positions", 512);
    c.layerNormEpsilon = r.positiveNumber("layer_norm_epsilon", 1e-6);
    e.gatedMlp = readFeedForward(r, c);
    r.inert({"is_gated_act", "dense_act_fn"});   // derived from feed_forward_proj
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", true);
    e.decoderStartTokenId = r.integer("decoder_start_token_id", 0);
    e.eosTokenId = readEosTokenId(r);
    if (e.decoderStartTokenId < 0 || e.decoderStartTokenId >= c.vocabSize)
        r.fail("decoder_start_token_id " + std::to_string(e.decoderStartTokenId) + " is not a token of the vocabulary");
    c.attentionScale = 1.0;   // T5 does not scale its scores (its initialisation does instead)
    c.causal = true;
    r.inert({"is_encoder_decoder", "initializer_factor", "classifier_dropout"});
    c.encoderDecoder = e;
}

std::unique_ptr<EncoderDecoderArchitecture> buildT5(const ModelConfig& c) { return std::make_unique<T5>(c, c.encoderDecoder->gatedMlp); }

} // namespace

const Family& t5Family() {
    static const Family f = [] {
        Family g{{"t5"}, readT5, nullptr, buildT5};
        g.traits.positions = "relative buckets";
        g.traits.mlpMatrices = 3;   // gated; ReLU T5 has 2 (FLOP counts are an upper bound there)
        return g;
    }();
    return f;
}

} // namespace headlight
