#include "headlight/attention_math.h"

#include "attention/attention.h"
#include "headlight/error.h"
#include "mechanisms/head_gates.h"
#include "nn/torch_bridge.h"

namespace headlight {
namespace {

void expectShape(const FloatArray& a, const std::vector<int64_t>& shape, const char* name) {
    if (a.shape() != shape)
        throw Error("attention inputs", std::string(name) + " has shape " + a.shapeString() + ", expected " +
                                            FloatArray(shape, std::vector<float>(static_cast<size_t>(FloatArray::countOf(shape)))).shapeString());
}

} // namespace

AttentionResult computeAttention(const ModelConfig& config, const AttentionInputs& in) {
    if (in.q.rank() != 3) throw Error("attention inputs", "q must be [H,T,d]");
    const int64_t H = in.q.dim(0), T = in.q.dim(1), d = in.q.dim(2);
    expectShape(in.k, {H, T, d}, "k");
    expectShape(in.v, {H, T, d}, "v");
    MechanismTensors params;
    if (config.headGates) { expectShape(in.gateLogAlpha, {H}, "gateLogAlpha"); params.gateLogAlpha = toTensor(in.gateLogAlpha); }
    if (config.adaptiveSpan) { expectShape(in.spanFraction, {H}, "spanFraction"); params.spanFraction = toTensor(in.spanFraction); }
    if (config.persistentMemory) {
        const int64_t N = config.persistentMemory->slotCount;
        expectShape(in.memoryKey, {H, N, d}, "memoryKey");
        expectShape(in.memoryValue, {H, N, d}, "memoryValue");
        params.memoryKey = toTensor(in.memoryKey);
        params.memoryValue = toTensor(in.memoryValue);
    }
    if (config.selectiveAttention && config.selectiveAttention->selectorHead >= H)
        throw Error("attention inputs", "selector head " + std::to_string(config.selectiveAttention->selectorHead) + " is not among the " + std::to_string(H) + " heads");
    torch::Tensor mask;
    if (!in.headMask.empty()) { expectShape(in.headMask, {H}, "headMask"); mask = toTensor(in.headMask); }

    torch::NoGradGuard noGrad;
    torch::Tensor gates;
    AttentionResult r;
    if (config.headGates) {
        gates = gateValues(*config.headGates, params.gateLogAlpha);
        r.gate = toArray(gates);
        r.gateOpenProbability = toArray(gateOpenProbability(*config.headGates, params.gateLogAlpha));
    }
    auto out = attend(config, AttentionSpec{config.causal, 0, 0.0, config.attnLogitSoftcap}, params, toTensor(in.q).unsqueeze(0), toTensor(in.k).unsqueeze(0),
                      toTensor(in.v).unsqueeze(0), gates, mask);
    r.output = toArray(out.output.select(0, 0));
    r.attention = toArray(out.attention.select(0, 0));
    if (out.memoryAttention.defined()) r.memoryAttention = toArray(out.memoryAttention.select(0, 0));
    if (out.selection.defined()) {
        r.selection = toArray(out.selection.select(0, 0));
        r.selectionCumulative = toArray(out.selectionCumulative.select(0, 0));
    }
    return r;
}

} // namespace headlight
