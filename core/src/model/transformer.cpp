#include "model/transformer.h"

#include "checkpoint/checkpoint.h"
#include "headlight/error.h"

#include <ATen/CPUGeneratorImpl.h>

namespace headlight {
namespace {

std::unique_ptr<Architecture> build(const ModelConfig& config) {
    const Family* family = findFamily(config.modelType);
    if (!family) throw Error("config", "model_type \"" + config.modelType + "\" is not supported");
    if (!family->build)
        throw Error("config", "model_type \"" + config.modelType + "\" is an encoder-decoder model, which only runs and "
                              "makes figures here so far (no training, fitting or init)");
    return family->build(config);
}

} // namespace

NamedTensors readModelWeights(const ModelConfig& config, const std::string& modelDir, const torch::Device& device) {
    const Family* family = findFamily(config.modelType);
    if (!family) throw Error("config", "model_type \"" + config.modelType + "\" is not supported");
    return readCheckpoint(modelDir, device, [family](const std::string& name) { return family->isBuffer(name); });
}

Transformer::Transformer(const ModelConfig& config, NamedTensors tensors, const std::string& source,
                         const uint64_t* missingMechanismsSeed)
    : arch_(build(config)) {
    NamedTensors canonical;
    for (auto& [name, t] : tensors) {
        const std::string n = arch_->canonicalName(name);
        if (!n.empty()) canonical[n] = std::move(t);
    }
    std::unique_ptr<WeightInitializer> init;
    if (missingMechanismsSeed)
        init = std::make_unique<WeightInitializer>(at::make_generator<at::CPUGeneratorImpl>(*missingMechanismsSeed + 7), config.nLayer);
    WeightPicker pick(std::move(canonical), source);
    arch_->visit([&](const TensorSlot& s) {
        if (init && s.mechanism && !pick.has(s.name)) (*init)(s);
        else pick(s);
    });
    pick.rejectLeftovers();
}

Transformer::Transformer(const ModelConfig& config, uint64_t seed) : arch_(build(config)) {
    WeightInitializer init(at::make_generator<at::CPUGeneratorImpl>(seed), config.nLayer);
    arch_->visit([&](const TensorSlot& s) { init(s); });
}

Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;
Transformer::~Transformer() = default;

void Transformer::storeMatricesAs(torch::ScalarType dtype) {
    productType_ = dtype;
    if (dtype == torch::kFloat) return;
    arch_->visit([&](const TensorSlot& s) {
        if (!s.mechanism && s.tensor->defined() && s.tensor->dim() >= 2) *s.tensor = s.tensor->to(dtype);
    });
}

const ModelConfig& Transformer::config() const { return arch_->config(); }
std::string Transformer::outputLayer() const { return arch_->outputLayer(); }
const MechanismTensors& Transformer::mechanisms(int layer) const { return arch_->mechanisms(layer); }

std::vector<std::pair<std::string, torch::Tensor>> Transformer::named() const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    arch_->visit([&](const TensorSlot& s) {
        if (s.tensor->defined()) out.emplace_back(s.name, *s.tensor);
    });
    return out;
}

const MechanismHost& Transformer::mechanismHost() const { return *arch_; }
MechanismHost& Transformer::mechanismHost() { return *arch_; }

torch::Tensor Transformer::embed(const torch::Tensor& ids) const { return arch_->embed(ids); }
torch::Tensor Transformer::head(const torch::Tensor& x) const { return arch_->logits(arch_->finalNorm(x)); }
torch::Tensor Transformer::headBeforeCap(const torch::Tensor& x) const { return arch_->logitsBeforeCap(arch_->finalNorm(x)); }
std::vector<double> Transformer::attributeLogit(ResidualLedger& ledger, const torch::Tensor& x, int64_t target) const {
    return arch_->attributeLogit(ledger, x, target);
}

ForwardResult Transformer::forward(const torch::Tensor& ids, const ForwardOptions& options) const {
    return forwardFrom(0, embed(ids), options);
}

torch::Tensor Transformer::runLayer(int l, const torch::Tensor& x, const ForwardOptions& options, const RotaryTables* rotary,
                                    LayerCapture* capture) const {
    const ModelConfig& c = config();
    KeepAttention keep = KeepAttention::none();
    if (capture && options.capture.wantsLayer(l))
        keep = KeepAttention{true, std::vector<int64_t>(options.capture.heads.begin(), options.capture.heads.end())};
    keep.stats = options.capture.headStats;
    keep.pooledSize = options.capture.pooledSize;
    keep.roles = options.roles;
    const auto& mech = arch_->mechanisms(l);
    LayerContext ctx;
    ctx.rotary = rotary;
    ctx.ledger = options.ledger;
    ctx.attend = [&, l, capture, keep](const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
        const auto g = layerGates(c, mech, options.gateNoise);
        const auto budget = static_cast<size_t>(l) < options.contextBudget.size() ? options.contextBudget[static_cast<size_t>(l)] : 0;
        torch::Tensor layerMask;                                               // [H] or [B,H]
        if (options.headMask.defined()) layerMask = options.headMask.select(options.headMask.dim() == 3 ? 1 : 0, l);
        AttentionSpec spec = attentionSpec(c, l);
        spec.productType = productType_;
        auto att = attend(c, spec, mech, q, k, v, g, layerMask, budget, keep);
        if (capture) {
            att.capture.captured = keep.keep;
            *capture = std::move(att.capture);
        }
        return att.output.transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});   // [B,T,H*d]
    };
    return arch_->layer(l, x, ctx);
}

LayerCapture Transformer::captureLayer(int l, const torch::Tensor& x, const ForwardOptions& options) const {
    const ModelConfig& c = config();
    if (l < 0 || l >= c.nLayer) throw Error("forward", "layer " + std::to_string(l) + " out of range");
    RotaryTables rotary;
    if (c.rotary) rotary = rotaryTables(*c.rotary, x.size(1), x.device());
    LayerCapture capture;
    runLayer(l, x, options, c.rotary ? &rotary : nullptr, &capture);
    return capture;
}

ForwardResult Transformer::forwardFrom(int firstLayer, torch::Tensor x, const ForwardOptions& options,
                                       std::vector<torch::Tensor>* residuals) const {
    const ModelConfig& c = config();
    if (firstLayer < 0 || firstLayer > c.nLayer) throw Error("forward", "first layer " + std::to_string(firstLayer) + " out of range");
    if (residuals && static_cast<int>(residuals->size()) != c.nLayer + 1) throw Error("forward", "residuals need n_layer + 1 entries");
    ForwardResult result;
    result.layers.resize(static_cast<size_t>(c.nLayer));
    const int64_t T = x.size(1);
    RotaryTables rotary;
    if (c.rotary) rotary = rotaryTables(*c.rotary, T, x.device());

    if (options.ledger) {
        if (firstLayer != 0) throw Error("forward", "an attribution follows the whole forward pass");
        options.ledger->start(x);
    }
    for (int l = firstLayer; l < c.nLayer; ++l) {
        if (residuals) (*residuals)[static_cast<size_t>(l)] = x;                 // kept by reference: x is never modified
        if (options.ledger) options.ledger->beginLayer(l);
        const bool wanted = options.capture.wantsLayer(l);
        const bool digested = options.capture.headStats || options.capture.pooledSize > 0 || options.roles;
        LayerCapture* capture = wanted || digested ? &result.layers[static_cast<size_t>(l)] : nullptr;
        x = runLayer(l, x, options, c.rotary ? &rotary : nullptr, capture);
        if (capture && options.onCapture) options.onCapture(l, std::move(*capture));
        if (options.ledger) options.ledger->endLayer();
        if (options.afterLayer) options.afterLayer(l);
    }
    if (residuals) residuals->back() = x;
    result.finalHidden = arch_->finalNorm(x);
    result.logits = arch_->logits(result.finalHidden);
    return result;
}

} // namespace headlight
