#include "engine/trace_export.h"

#include "nn/torch_bridge.h"

namespace headlight {

LayerDigest exportDigest(int layer, const LayerCapture& cap, int64_t T) {
    LayerDigest d;
    d.layer = layer;
    if (cap.statSums.defined()) {
        const auto means = (cap.statSums / static_cast<double>(T)).to(torch::kFloat).cpu();   // [H,4]
        d.entropy = toArray(means.select(1, 0));
        d.maxWeight = toArray(means.select(1, 1));
        d.meanDistance = toArray(means.select(1, 2));
        d.firstToken = toArray(means.select(1, 3));
    }
    if (cap.pooledBin > 0) {
        d.bin = cap.pooledBin;
        d.pooledMax = toArray(cap.pooledMax);
        d.pooledMean = toArray(cap.pooledMean);
    }
    return d;
}

LayerTrace exportLayer(const Transformer& model, int l, const std::vector<int>& heads, const LayerCapture& cap) {
    LayerTrace lt;
    lt.layer = l;
    lt.heads = heads;
    lt.attention = toArray(cap.attention.select(0, 0));   // [h,T,T]: only the heads asked for
    const ModelConfig& c = model.config();
    for (const Mechanism* m : mechanismsOf(c)) m->exportLayer(c, model.mechanisms(l), cap, lt);
    return lt;
}

std::vector<std::string> tokenTexts(const Tokenizer* tokenizer, const std::vector<int64_t>& ids) {
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (int64_t id : ids) out.push_back(tokenizer ? tokenizer->tokenText(id) : "<" + std::to_string(id) + ">");
    return out;
}

std::vector<std::string> targetTokenTexts(const Tokenizer* tokenizer, const std::vector<int64_t>& ids) {
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (int64_t id : ids) out.push_back(tokenizer ? tokenizer->targetTokenText(id) : "<" + std::to_string(id) + ">");
    return out;
}

} // namespace headlight
