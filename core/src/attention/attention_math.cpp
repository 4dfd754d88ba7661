#include "headlight/attention_math.h"

#include "attention/attention.h"
#include "headlight/error.h"
#include "nn/torch_bridge.h"

namespace headlight {
namespace {

std::string shapeOf(const std::vector<int64_t>& shape) {
    return FloatArray(shape, std::vector<float>(static_cast<size_t>(FloatArray::countOf(shape)))).shapeString();
}

void expectShape(const FloatArray& a, const std::vector<int64_t>& shape, const std::string& name) {
    if (a.shape() != shape)
        throw Error("attention inputs", name + " has shape " + a.shapeString() + ", expected " + shapeOf(shape));
}

} // namespace

AttentionResult computeAttention(const ModelConfig& config, const AttentionInputs& in) {
    if (in.q.rank() != 3) throw Error("attention inputs", "q must be [H,T,d]");
    const int64_t H = in.q.dim(0), T = in.q.dim(1), d = in.q.dim(2);
    expectShape(in.k, {H, T, d}, "k");
    expectShape(in.v, {H, T, d}, "v");
    // The mechanisms' tensors as a layer declares them (their shapes for this H and d).
    ModelConfig layerConfig = config;
    layerConfig.nHead = static_cast<int>(H);
    layerConfig.headDimension = static_cast<int>(d);
    MechanismTensors params;
    for (const Mechanism* m : mechanismsOf(config))
        m->declareTensors(layerConfig, params, "", [&](const TensorSlot& slot) {
            const auto it = in.tensors.find(slot.name);
            if (it == in.tensors.end()) throw Error("attention inputs", slot.name + " is missing (" + m->key() + ")");
            expectShape(it->second, slot.shape, slot.name);
            *slot.tensor = toTensor(it->second);
        });
    torch::Tensor mask;
    if (!in.headMask.empty()) {
        expectShape(in.headMask, {H}, "headMask");
        mask = toTensor(in.headMask);
    }

    torch::NoGradGuard noGrad;
    const torch::Tensor gates = layerGates(config, params, nullptr);
    AttentionSpec spec;
    spec.causal = config.causal;
    spec.softcap = config.attnLogitSoftcap;
    auto out = attend(config, spec, params, toTensor(in.q).unsqueeze(0), toTensor(in.k).unsqueeze(0),
                      toTensor(in.v).unsqueeze(0), gates, mask);
    AttentionResult r;
    r.output = toArray(out.output.select(0, 0));
    r.attention = toArray(out.capture.attention.select(0, 0));
    LayerTrace lt;
    for (int h = 0; h < H; ++h) lt.heads.push_back(h);
    out.capture.captured = true;
    for (const Mechanism* m : mechanismsOf(config)) m->exportLayer(layerConfig, params, out.capture, lt);
    r.named = std::move(lt.tensors);
    return r;
}

} // namespace headlight
