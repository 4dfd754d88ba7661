#include "model/gpt_model.h"

#include "headlight/error.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>

namespace headlight {
namespace {

// y = x W + b for Conv1D weights W [in,out] and any leading shape of x.
torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    auto sizes = x.sizes().vec();
    sizes.back() = w.size(1);
    return torch::addmm(b, x.reshape({-1, x.size(-1)}), w).view(sizes);
}

std::string shapeText(c10::IntArrayRef s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
}

bool isHfBuffer(const std::string& n) {
    auto endsWith = [&](const char* suffix) {
        const size_t k = std::strlen(suffix);
        return n.size() > k && n.compare(n.size() - k, k, suffix) == 0;
    };
    return endsWith(".attn.bias") || endsWith(".attn.masked_bias");
}

// Takes the expected tensors out of `tensors` one by one, checking their shapes; leftovers are errors.
class WeightPicker {
public:
    WeightPicker(NamedTensors tensors, std::string source) : tensors_(std::move(tensors)), source_(std::move(source)) {}

    torch::Tensor get(const std::string& name, const std::vector<int64_t>& shape) {
        auto it = tensors_.find(name);
        if (it == tensors_.end()) throw Error(source_, "tensor \"" + name + "\" is missing");
        if (it->second.sizes().vec() != shape)
            throw Error(source_, "tensor \"" + name + "\" has shape " + shapeText(it->second.sizes()) + ", expected " + shapeText(shape));
        auto t = std::move(it->second);
        tensors_.erase(it);
        return t;
    }
    bool has(const std::string& name) const { return tensors_.count(name) > 0; }
    void rejectLeftovers() const {
        if (!tensors_.empty())
            throw Error(source_, "unexpected tensor \"" + tensors_.begin()->first + "\" (not part of this config)");
    }

private:
    NamedTensors tensors_;
    std::string source_;
};

} // namespace

NamedTensors readTensors(const SafetensorsFile& file, const torch::Device& device) {
    const std::string prefix = file.find("transformer.wte.weight") ? "transformer." : "";
    NamedTensors out;
    for (const auto& e : file.entries()) {
        if (isHfBuffer(e.name)) continue;   // Hugging Face's causal-mask buffers are not parameters
        std::string name = e.name;
        if (!prefix.empty() && name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
        const auto address = reinterpret_cast<std::uintptr_t>(file.rawData(e));
        if (e.dtype == DType::F32 && device.is_cpu() && address % alignof(float) == 0) {
            // Zero-copy: the tensor reads the mapped file (copy-on-write), which stays mapped while it lives.
            auto keep = file.owner();
            out[name] = torch::from_blob(const_cast<void*>(file.rawData(e)), e.shape, [keep](void*) {}, torch::kFloat);
            continue;
        }
        auto t = torch::empty(e.shape, torch::kFloat);
        file.copyAsFloat(e, t.data_ptr<float>());
        out[name] = t.to(device);
    }
    return out;
}

torch::Tensor geluNew(const torch::Tensor& x) {
    const double c = std::sqrt(2.0 / M_PI);
    return 0.5 * x * (1.0 + torch::tanh(c * (x + 0.044715 * x.pow(3))));
}

GptWeights weightsFromTensors(NamedTensors tensors, const ModelConfig& c, const std::string& source) {
    const int64_t V = c.vocabSize, D = c.nEmbd, P = c.nPositions, H = c.nHead, d = c.headDim();
    WeightPicker r(std::move(tensors), source);
    GptWeights w;
    w.wte = r.get("wte.weight", {V, D});
    w.wpe = r.get("wpe.weight", {P, D});
    for (int l = 0; l < c.nLayer; ++l) {
        const std::string p = "h." + std::to_string(l) + ".";
        BlockWeights b;
        b.ln1Weight = r.get(p + "ln_1.weight", {D});
        b.ln1Bias = r.get(p + "ln_1.bias", {D});
        b.attnWeight = r.get(p + "attn.c_attn.weight", {D, 3 * D});
        b.attnBias = r.get(p + "attn.c_attn.bias", {3 * D});
        b.attnProjWeight = r.get(p + "attn.c_proj.weight", {D, D});
        b.attnProjBias = r.get(p + "attn.c_proj.bias", {D});
        if (c.hasMlp()) {
            b.ln2Weight = r.get(p + "ln_2.weight", {D});
            b.ln2Bias = r.get(p + "ln_2.bias", {D});
            b.fcWeight = r.get(p + "mlp.c_fc.weight", {D, 4 * D});
            b.fcBias = r.get(p + "mlp.c_fc.bias", {4 * D});
            b.mlpProjWeight = r.get(p + "mlp.c_proj.weight", {4 * D, D});
            b.mlpProjBias = r.get(p + "mlp.c_proj.bias", {D});
        }
        if (c.headGates) b.mechanisms.gateLogAlpha = r.get(p + "attn.gate_log_alpha", {H});
        if (c.adaptiveSpan) b.mechanisms.spanFraction = r.get(p + "attn.span_fraction", {H});
        if (c.persistentMemory) {
            b.mechanisms.memoryKey = r.get(p + "attn.memory_key", {H, c.memorySlots(), d});
            b.mechanisms.memoryValue = r.get(p + "attn.memory_value", {H, c.memorySlots(), d});
        }
        w.blocks.push_back(std::move(b));
    }
    w.lnfWeight = r.get("ln_f.weight", {D});
    w.lnfBias = r.get("ln_f.bias", {D});
    if (r.has("lm_head.weight")) w.lmHead = r.get("lm_head.weight", {V, D});
    r.rejectLeftovers();
    return w;
}

GptWeights loadWeights(const SafetensorsFile& file, const ModelConfig& config, const torch::Device& device) {
    return weightsFromTensors(readTensors(file, device), config, file.path());
}

std::vector<std::pair<std::string, torch::Tensor>> GptWeights::named() const {
    std::vector<std::pair<std::string, torch::Tensor>> out = {{"wte.weight", wte}, {"wpe.weight", wpe}};
    for (size_t l = 0; l < blocks.size(); ++l) {
        const auto& b = blocks[l];
        const std::string p = "h." + std::to_string(l) + ".";
        const std::pair<const char*, torch::Tensor> parts[] = {
            {"ln_1.weight", b.ln1Weight}, {"ln_1.bias", b.ln1Bias},
            {"attn.c_attn.weight", b.attnWeight}, {"attn.c_attn.bias", b.attnBias},
            {"attn.c_proj.weight", b.attnProjWeight}, {"attn.c_proj.bias", b.attnProjBias},
            {"attn.gate_log_alpha", b.mechanisms.gateLogAlpha}, {"attn.span_fraction", b.mechanisms.spanFraction},
            {"attn.memory_key", b.mechanisms.memoryKey}, {"attn.memory_value", b.mechanisms.memoryValue},
            {"ln_2.weight", b.ln2Weight}, {"ln_2.bias", b.ln2Bias},
            {"mlp.c_fc.weight", b.fcWeight}, {"mlp.c_fc.bias", b.fcBias},
            {"mlp.c_proj.weight", b.mlpProjWeight}, {"mlp.c_proj.bias", b.mlpProjBias}};
        for (const auto& [name, t] : parts)
            if (t.defined()) out.emplace_back(p + name, t);
    }
    out.emplace_back("ln_f.weight", lnfWeight);
    out.emplace_back("ln_f.bias", lnfBias);
    if (lmHead.defined()) out.emplace_back("lm_head.weight", lmHead);
    return out;
}

GptModel::GptModel(ModelConfig config, GptWeights weights) : config_(std::move(config)), weights_(std::move(weights)) {}

torch::Tensor GptModel::gates(int layer) const {
    if (!config_.headGates) return {};
    return gateValues(*config_.headGates, weights_.blocks.at(static_cast<size_t>(layer)).mechanisms.gateLogAlpha);
}

torch::Tensor GptModel::gateOpenProbability(int layer) const {
    if (!config_.headGates) return {};
    return headlight::gateOpenProbability(*config_.headGates, weights_.blocks.at(static_cast<size_t>(layer)).mechanisms.gateLogAlpha);
}

torch::Tensor GptModel::spans(int layer) const {
    if (!config_.adaptiveSpan) return {};
    return weights_.blocks.at(static_cast<size_t>(layer)).mechanisms.spanFraction * config_.adaptiveSpan->maxSpan;
}

torch::Tensor GptModel::block(int layer, const torch::Tensor& x, const ForwardOptions& options, LayerCapture* capture) const {
    const auto& b = weights_.blocks[static_cast<size_t>(layer)];
    const int64_t B = x.size(0), T = x.size(1), D = config_.nEmbd, H = config_.nHead, d = config_.headDim();
    const double eps = config_.layerNormEpsilon;

    // Attention sub-block.
    auto h = torch::layer_norm(x, {D}, b.ln1Weight, b.ln1Bias, eps);              // [B,T,D]
    auto qkv = conv1d(h, b.attnWeight, b.attnBias);                              // [B,T,3D]
    auto split = [&](int part) {                                                 // -> [B,H,T,d]
        return qkv.narrow(-1, part * D, D).view({B, T, H, d}).transpose(1, 2);
    };
    const auto g = options.gateNoise && config_.headGates
                       ? sampleHardConcrete(*config_.headGates, b.mechanisms.gateLogAlpha, *options.gateNoise)
                       : gates(layer);
    const auto budget = static_cast<size_t>(layer) < options.contextBudget.size() ? options.contextBudget[static_cast<size_t>(layer)] : 0;
    torch::Tensor layerMask;                                                     // [H] or [B,H]
    if (options.headMask.defined()) layerMask = options.headMask.select(options.headMask.dim() == 3 ? 1 : 0, layer);
    auto att = attend(config_, b.mechanisms, split(0), split(1), split(2), g, layerMask, budget);
    auto merged = att.output.transpose(1, 2).reshape({B, T, D});                 // [B,T,D]
    auto out = x + conv1d(merged, b.attnProjWeight, b.attnProjBias);

    if (capture) {
        capture->attention = att.attention;
        capture->memoryAttention = att.memoryAttention;
        capture->selection = att.selection;
        capture->selectionCumulative = att.selectionCumulative;
        capture->evictedAt = att.evictedAt;
    }
    if (!config_.hasMlp()) return out;                                           // all-attention layer

    // MLP sub-block.
    auto m = torch::layer_norm(out, {D}, b.ln2Weight, b.ln2Bias, eps);
    m = geluNew(conv1d(m, b.fcWeight, b.fcBias));                                // [B,T,4D]
    return out + conv1d(m, b.mlpProjWeight, b.mlpProjBias);
}

torch::Tensor GptModel::embed(const torch::Tensor& ids) const {
    const int64_t T = ids.size(1);
    auto positions = torch::arange(T, ids.options());
    return weights_.wte.index_select(0, ids.reshape(-1)).view({ids.size(0), T, config_.nEmbd}) +
           weights_.wpe.index_select(0, positions).unsqueeze(0);                  // [B,T,D]
}

ForwardResult GptModel::forward(const torch::Tensor& ids, const ForwardOptions& options) const {
    return forwardFrom(0, embed(ids), options);
}

ForwardResult GptModel::forwardFrom(int firstLayer, torch::Tensor x, const ForwardOptions& options,
                                    std::vector<torch::Tensor>* residuals) const {
    if (firstLayer < 0 || firstLayer > config_.nLayer) throw Error("forward", "first layer " + std::to_string(firstLayer) + " out of range");
    if (residuals && static_cast<int>(residuals->size()) != config_.nLayer + 1) throw Error("forward", "residuals need n_layer + 1 entries");
    ForwardResult result;
    result.layers.resize(static_cast<size_t>(config_.nLayer));
    for (int l = firstLayer; l < config_.nLayer; ++l) {
        if (residuals) (*residuals)[static_cast<size_t>(l)] = x;                 // kept by reference: x is never modified
        x = block(l, x, options, options.capture.wantsLayer(l) ? &result.layers[static_cast<size_t>(l)] : nullptr);
    }
    if (residuals) residuals->back() = x;

    result.finalHidden = torch::layer_norm(x, {config_.nEmbd}, weights_.lnfWeight, weights_.lnfBias, config_.layerNormEpsilon);
    const auto& out = weights_.lmHead.defined() ? weights_.lmHead : weights_.wte;
    result.logits = torch::matmul(result.finalHidden, out.t());                   // [B,T,V]
    return result;
}

} // namespace headlight
