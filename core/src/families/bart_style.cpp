// Marian and BART (transformers' modeling_bart.py, which modeling_marian.py copies): post-norm encoder and
// decoder layers over one attention, in self- and cross-attention modes.
#include "families/bart_style.h"

#include "checkpoint/config_reader.h"
#include "headlight/error.h"

#include <cmath>

namespace headlight {
namespace {

struct Projections {
    torch::Tensor qW, qB, kW, kB, vW, vB, oW, oB;   // {q,k,v,out}_proj: [D,D], [D]
};

struct BartLayer {
    Projections self, cross;                         // cross: the decoder's encoder_attn
    torch::Tensor selfNormW, selfNormB, crossNormW, crossNormB;
    torch::Tensor upW, upB, downW, downB;            // fc1 [F,D], fc2 [D,F]
    torch::Tensor outNormW, outNormB;                // final_layer_norm
};

class BartStyle final : public EncoderDecoderArchitecture {
public:
    BartStyle(const ModelConfig& c, const BartStyleSettings& s)
        : EncoderDecoderArchitecture(c), s_(s), encoder_(static_cast<size_t>(c.encoderDecoder->layers)),
          decoder_(static_cast<size_t>(c.nLayer)) {}

    void visit(const TensorVisitor& v) override {
        const auto& e = *c_.encoderDecoder;
        const int64_t D = c_.nEmbd, P = c_.nPositions + s_.positionOffset;
        if (e.sharedEmbeddings) {
            v({&sourceEmbed_, "model.shared.weight", {c_.vocabSize, D}, Init::normal()});
        } else {
            v({&sourceEmbed_, "model.encoder.embed_tokens.weight", {e.sourceVocabSize, D}, Init::normal()});
            // vocab_size rows, not decoder_vocab_size: transformers copies the source table's shape (MarianModel).
            v({&targetEmbed_, "model.decoder.embed_tokens.weight", {e.sourceVocabSize, D}, Init::normal()});
        }
        for (const char* stack : {"encoder", "decoder"}) {
            const bool decoder = stack[0] == 'd';
            const std::string p = std::string("model.") + stack + ".";
            // Marian's sinusoidal table is in most files; computed when absent, used as the file has it otherwise.
            v({decoder ? &targetPositions_ : &sourcePositions_, p + "embed_positions.weight", {P, D}, Init::normal(),
               s_.sinusoidalPositions});
            if (s_.embeddingNorm) {
                v({decoder ? &targetNormW_ : &sourceNormW_, p + "layernorm_embedding.weight", {D}, Init::ones()});
                v({decoder ? &targetNormB_ : &sourceNormB_, p + "layernorm_embedding.bias", {D}, Init::zeros()});
            }
            auto& layers = decoder ? decoder_ : encoder_;
            const int64_t F = decoder ? c_.mlpWidth() : e.mlpWidth;
            for (size_t l = 0; l < layers.size(); ++l) {
                auto& w = layers[l];
                const std::string lp = p + "layers." + std::to_string(l) + ".";
                visitProjections(v, w.self, lp + "self_attn.");
                v({&w.selfNormW, lp + "self_attn_layer_norm.weight", {D}, Init::ones()});
                v({&w.selfNormB, lp + "self_attn_layer_norm.bias", {D}, Init::zeros()});
                if (decoder) {
                    visitProjections(v, w.cross, lp + "encoder_attn.");
                    v({&w.crossNormW, lp + "encoder_attn_layer_norm.weight", {D}, Init::ones()});
                    v({&w.crossNormB, lp + "encoder_attn_layer_norm.bias", {D}, Init::zeros()});
                }
                v({&w.upW, lp + "fc1.weight", {F, D}, Init::normal()});
                v({&w.upB, lp + "fc1.bias", {F}, Init::zeros()});
                v({&w.downW, lp + "fc2.weight", {D, F}, Init::normal()});
                v({&w.downB, lp + "fc2.bias", {D}, Init::zeros()});
                v({&w.outNormW, lp + "final_layer_norm.weight", {D}, Init::ones()});
                v({&w.outNormB, lp + "final_layer_norm.bias", {D}, Init::zeros()});
            }
        }
        if (!c_.tieWordEmbeddings) v({&out_, "lm_head.weight", {c_.vocabSize, D}, Init::normal()});
        v({&logitsBias_, "final_logits_bias", {1, c_.vocabSize}, Init::zeros()});
    }

    std::string canonicalName(const std::string& n) const override {
        const auto& e = *c_.encoderDecoder;
        // Copies of the tied tables: transformers reads one and ties the rest to it.
        if (e.sharedEmbeddings && (n == "model.encoder.embed_tokens.weight" || n == "model.decoder.embed_tokens.weight")) return "";
        if (c_.tieWordEmbeddings && n == "lm_head.weight") return "";
        return n;
    }

    torch::Tensor embedSource(const torch::Tensor& ids) const override {
        return embed(sourceEmbed_, sourcePositions_, sourceNormW_, sourceNormB_, ids);
    }
    torch::Tensor embedTarget(const torch::Tensor& ids) const override {
        return embed(targetTable(), targetPositions_, targetNormW_, targetNormB_, ids);
    }

    torch::Tensor encoderLayer(int l, const torch::Tensor& x, const LayerContext& ctx) const override {
        const auto& w = encoder_[static_cast<size_t>(l)];
        auto h = layerNorm(x + attention(w.self, x, x, ctx.attend), w.selfNormW, w.selfNormB, c_.layerNormEpsilon);
        return layerNorm(h + mlp(w, h), w.outNormW, w.outNormB, c_.layerNormEpsilon);
    }

    torch::Tensor decoderLayer(int l, const torch::Tensor& x, const torch::Tensor& source, const LayerContext& ctx) const override {
        const auto& w = decoder_[static_cast<size_t>(l)];
        auto h = layerNorm(x + attention(w.self, x, x, ctx.attend), w.selfNormW, w.selfNormB, c_.layerNormEpsilon);
        h = layerNorm(h + attention(w.cross, h, source, ctx.attendSource), w.crossNormW, w.crossNormB, c_.layerNormEpsilon);
        return layerNorm(h + mlp(w, h), w.outNormW, w.outNormB, c_.layerNormEpsilon);
    }

    torch::Tensor logits(const torch::Tensor& h) const override {
        return product(h, (out_.defined() ? out_ : targetTable()).t()) + logitsBias_;   // [B,T,V]
    }
    std::string outputLayer() const override {
        if (out_.defined()) return "lm_head";
        return c_.encoderDecoder->sharedEmbeddings ? "tied to model.shared" : "tied to model.decoder.embed_tokens";
    }

private:
    using Attend = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;

    void visitProjections(const TensorVisitor& v, Projections& w, const std::string& p) const {
        const int64_t D = c_.nEmbd;
        v({&w.kW, p + "k_proj.weight", {D, D}, Init::normal()});
        v({&w.kB, p + "k_proj.bias", {D}, Init::zeros()});
        v({&w.vW, p + "v_proj.weight", {D, D}, Init::normal()});
        v({&w.vB, p + "v_proj.bias", {D}, Init::zeros()});
        v({&w.qW, p + "q_proj.weight", {D, D}, Init::normal()});
        v({&w.qB, p + "q_proj.bias", {D}, Init::zeros()});
        v({&w.oW, p + "out_proj.weight", {D, D}, Init::normal()});
        v({&w.oB, p + "out_proj.bias", {D}, Init::zeros()});
    }

    const torch::Tensor& targetTable() const { return targetEmbed_.defined() ? targetEmbed_ : sourceEmbed_; }

    torch::Tensor embed(const torch::Tensor& tokens, const torch::Tensor& positions, const torch::Tensor& normW,
                        const torch::Tensor& normB, const torch::Tensor& ids) const {
        const int64_t B = ids.size(0), T = ids.size(1);
        auto x = embeddingRows(tokens, ids.reshape(-1)).view({B, T, c_.nEmbd}) * c_.encoderDecoder->embedScale;
        const auto rows = torch::arange(s_.positionOffset, s_.positionOffset + T, ids.options());
        const auto table = positions.defined() ? positions : sinusoidalPositions(T, c_.nEmbd).to(x.device());
        x = x + embeddingRows(table, rows).unsqueeze(0);                                // [B,T,D]
        return normW.defined() ? layerNorm(x, normW, normB, c_.layerNormEpsilon) : x;
    }

    // q from `x`, keys and values from `kv` (x itself, or the encoder's output); the output projection of the
    // merged heads.
    torch::Tensor attention(const Projections& w, const torch::Tensor& x, const torch::Tensor& kv, const Attend& attend) const {
        auto q = splitHeads(dense(x, w.qW, w.qB));                                       // [B,H,T,d]
        auto k = splitHeads(dense(kv, w.kW, w.kB));                                      // [B,H,S,d]
        auto v = splitHeads(dense(kv, w.vW, w.vB));
        return dense(attend(q, k, v), w.oW, w.oB);                                       // [B,T,D]
    }

    torch::Tensor mlp(const BartLayer& w, const torch::Tensor& h) const {
        return dense(activation(dense(h, w.upW, w.upB), c_.activationFunction), w.downW, w.downB);
    }

    BartStyleSettings s_;
    torch::Tensor sourceEmbed_, targetEmbed_, sourcePositions_, targetPositions_;
    torch::Tensor sourceNormW_, sourceNormB_, targetNormW_, targetNormB_;
    torch::Tensor out_, logitsBias_;
    std::vector<BartLayer> encoder_, decoder_;
};

} // namespace

torch::Tensor sinusoidalPositions(int64_t positions, int64_t dims) {
    auto table = torch::empty({positions, dims}, torch::kDouble);
    auto t = table.accessor<double, 2>();
    const int64_t sinColumns = (dims + 1) / 2;
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t j = 0; j < dims; ++j) {
            // Column j of the interleaved table has frequency 10000^(-2 (j/2) / D); even columns go to sin.
            const int64_t i = j < sinColumns ? j : j - sinColumns;
            const int64_t source = j < sinColumns ? 2 * i : 2 * i + 1;
            const double angle = static_cast<double>(p) / std::pow(10000.0, 2.0 * static_cast<double>(source / 2) / static_cast<double>(dims));
            t[p][j] = j < sinColumns ? std::sin(angle) : std::cos(angle);
        }
    return table.to(torch::kFloat);
}

void readBartStyle(ConfigReader& r, ModelConfig& c, const char* decoderVocabKey) {
    EncoderDecoderConfig e;
    const int sourceVocab = r.positiveInt("vocab_size");
    c.vocabSize = decoderVocabKey && r.has(decoderVocabKey) ? r.positiveInt(decoderVocabKey) : sourceVocab;
    c.nEmbd = r.positiveInt("d_model");
    e.layers = r.layerCount("encoder_layers");
    c.nLayer = r.layerCount("decoder_layers");
    c.nHead = r.positiveInt("decoder_attention_heads");
    if (r.positiveInt("encoder_attention_heads") != c.nHead)
        r.fail("encoder_attention_heads and decoder_attention_heads differ, which Headlight does not support");
    requireHeadsDivideHidden(r, c);
    e.mlpWidth = r.positiveInt("encoder_ffn_dim");
    c.intermediateSize = r.positiveInt("decoder_ffn_dim");
    c.nPositions = r.positiveInt("max_position_embeddings");
    c.activationFunction = r.string("activation_function", "gelu");
    if (!isSupportedActivation(c.activationFunction)) r.fail("activation_function \"" + c.activationFunction + "\" is not supported");
    c.layerNormEpsilon = 1e-5;   // torch.nn.LayerNorm's default: the BART family has no key for it
    e.embedScale = r.flag("scale_embedding", false) ? std::sqrt(static_cast<double>(c.nEmbd)) : 1.0;
    e.sharedEmbeddings = decoderVocabKey ? r.flag("share_encoder_decoder_embeddings", true) : true;
    if (e.sharedEmbeddings && c.vocabSize != sourceVocab)
        r.fail(std::string(decoderVocabKey) + " differs from vocab_size, so the embeddings cannot be shared");
    e.sourceVocabSize = sourceVocab;
    e.decoderStartTokenId = r.integer("decoder_start_token_id", 0);
    e.eosTokenId = readEosTokenId(r);
    if (e.decoderStartTokenId < 0 || e.decoderStartTokenId >= c.vocabSize)
        r.fail("decoder_start_token_id " + std::to_string(e.decoderStartTokenId) + " is not a token of the decoder");
    // Marian ties its output layer exactly when the embeddings are shared (transformers 5's MarianConfig sets
    // tie_word_embeddings from share_encoder_decoder_embeddings, whatever the key says); BART reads the key.
    c.tieWordEmbeddings = r.flag("tie_word_embeddings", true);
    if (decoderVocabKey) c.tieWordEmbeddings = e.sharedEmbeddings;
    c.causal = true;   // the decoder's self-attention
    c.attentionBias = true;
    c.mlpBias = true;
    r.pinned("normalize_before", false, "pre-norm layers (mBART) are not implemented");
    r.pinned("add_final_layer_norm", false, "a final layer norm (mBART) is not implemented");
    r.pinned("normalize_embedding", true, "an embedding without its norm is not implemented");
    r.pinned("static_position_embeddings", false, "static positions (older BART conversions) are not implemented");
    r.pinned("add_bias_logits", false, "a logits bias layer is not implemented");
    r.inert({"is_encoder_decoder", "init_std", "encoder_layerdrop", "decoder_layerdrop", "num_hidden_layers",
             "forced_eos_token_id", "forced_bos_token_id", "classif_dropout", "classifier_dropout", "gradient_checkpointing",
             "num_labels", "extra_pos_embeddings"});
    c.encoderDecoder = e;
}

std::unique_ptr<EncoderDecoderArchitecture> buildBartStyle(const ModelConfig& c, const BartStyleSettings& s) {
    return std::make_unique<BartStyle>(c, s);
}

} // namespace headlight
