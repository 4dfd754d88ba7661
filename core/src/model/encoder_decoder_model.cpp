#include "model/encoder_decoder_model.h"

#include "headlight/error.h"

namespace headlight {
namespace {

std::unique_ptr<EncoderDecoderArchitecture> build(const ModelConfig& config) {
    const Family& family = familyOf(config);
    if (!family.buildEncoderDecoder) throw Error("config", "model_type \"" + config.modelType + "\" is not an encoder-decoder model");
    return family.buildEncoderDecoder(config);
}

// The heads of a layer a capture keeps, as attend() takes them.
KeepAttention keepFor(const CaptureSpec& capture, int layer) {
    if (!capture.wantsLayer(layer)) return KeepAttention::none();
    return KeepAttention{true, std::vector<int64_t>(capture.heads.begin(), capture.heads.end())};
}

} // namespace

EncoderDecoderModel::EncoderDecoderModel(const ModelConfig& config, NamedTensors tensors, const std::string& source)
    : arch_(build(config)) {
    if (!config.mechanisms.empty())
        throw Error(source, "Headlight's mechanisms (the \"headlight\" object) are not available for encoder-decoder models yet");
    NamedTensors canonical;
    for (auto& [name, t] : tensors) {
        const std::string n = arch_->canonicalName(name);
        if (!n.empty()) canonical[n] = std::move(t);
    }
    WeightPicker pick(std::move(canonical), source);
    arch_->visit([&](const TensorSlot& s) { pick(s); });
    pick.rejectLeftovers();
}

EncoderDecoderModel::~EncoderDecoderModel() = default;

void EncoderDecoderModel::storeMatricesAs(torch::ScalarType dtype) {
    productType_ = dtype;
    if (dtype == torch::kFloat) return;
    arch_->visit([&](const TensorSlot& s) {
        if (s.tensor->defined() && s.tensor->dim() >= 2) *s.tensor = s.tensor->to(dtype);
    });
}

const ModelConfig& EncoderDecoderModel::config() const { return arch_->config(); }
std::string EncoderDecoderModel::outputLayer() const { return arch_->outputLayer(); }

std::vector<std::pair<std::string, torch::Tensor>> EncoderDecoderModel::named() const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    arch_->visit([&](const TensorSlot& s) {
        if (s.tensor->defined()) out.emplace_back(s.name, *s.tensor);
    });
    return out;
}

// One attention call of a kind: the family's spec (causal only for the decoder's own tokens), the kind's head mask
// row, its capture kept in `kept`.
EncoderDecoderModel::Attend EncoderDecoderModel::attendAs(AttentionKind kind, int l, const torch::Tensor& bias, torch::Tensor& kept,
                                                          const EncoderDecoderOptions& options) const {
    static const MechanismTensors kNoMechanisms;
    return [this, &kept, &options, kind, l, bias](const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
        const ModelConfig& c = config();
        AttentionSpec spec = attentionSpec(c, l);
        spec.causal = kind == AttentionKind::DecoderSelf;
        spec.bias = bias;
        spec.productType = productType_;
        const torch::Tensor& mask = kind == AttentionKind::EncoderSelf ? options.encoderHeadMask
                                  : kind == AttentionKind::DecoderSelf ? options.decoderHeadMask : options.crossHeadMask;
        auto att = attend(c, spec, kNoMechanisms, q, k, v, torch::Tensor(), mask.defined() ? mask.select(mask.dim() == 3 ? 1 : 0, l) : mask, 0,
                          keepFor(options.capture, l));
        if (att.capture.attention.defined()) kept = att.capture.attention;
        return att.output.transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});   // [B,T,H*d]
    };
}

EncoderDecoderResult EncoderDecoderModel::encode(const torch::Tensor& sourceIds, const EncoderDecoderOptions& options) const {
    const ModelConfig& c = config();
    const int encoderLayers = c.encoderDecoder->layers;
    EncoderDecoderResult result;
    result.encoderAttention.resize(static_cast<size_t>(encoderLayers));
    // The source read in both directions.
    auto x = arch_->embedSource(sourceIds);                                               // [B,S,D]
    const auto bias = arch_->selfAttentionBias(false, sourceIds.size(1), x.device());
    for (int l = 0; l < encoderLayers; ++l) {
        LayerContext ctx;
        ctx.attend = attendAs(AttentionKind::EncoderSelf, l, bias, result.encoderAttention[static_cast<size_t>(l)], options);
        x = arch_->encoderLayer(l, x, ctx);
        if (options.afterLayer) options.afterLayer(l + 1, encoderLayers + c.nLayer);
    }
    result.encoderOutput = arch_->encoderFinalNorm(x);
    return result;
}

void EncoderDecoderModel::decode(const torch::Tensor& targetIds, const EncoderDecoderOptions& options, EncoderDecoderResult& result) const {
    const ModelConfig& c = config();
    const int encoderLayers = c.encoderDecoder->layers;
    result.decoderAttention.assign(static_cast<size_t>(c.nLayer), torch::Tensor());
    result.crossAttention.assign(static_cast<size_t>(c.nLayer), torch::Tensor());
    // The decoder's own earlier tokens, then the whole source.
    auto y = arch_->embedTarget(targetIds);                                               // [B,T,D]
    const auto bias = arch_->selfAttentionBias(true, targetIds.size(1), y.device());
    for (int l = 0; l < c.nLayer; ++l) {
        LayerContext ctx;
        ctx.attend = attendAs(AttentionKind::DecoderSelf, l, bias, result.decoderAttention[static_cast<size_t>(l)], options);
        ctx.attendSource = attendAs(AttentionKind::Cross, l, torch::Tensor(), result.crossAttention[static_cast<size_t>(l)], options);
        y = arch_->decoderLayer(l, y, result.encoderOutput, ctx);
        if (options.afterLayer) options.afterLayer(encoderLayers + l + 1, encoderLayers + c.nLayer);
    }
    result.logits = arch_->logits(arch_->decoderFinalNorm(y));                            // [B,T,V]
}

EncoderDecoderResult EncoderDecoderModel::forward(const torch::Tensor& sourceIds, const torch::Tensor& targetIds,
                                                  const EncoderDecoderOptions& options) const {
    EncoderDecoderResult result = encode(sourceIds, options);
    decode(targetIds, options, result);
    return result;
}

} // namespace headlight
