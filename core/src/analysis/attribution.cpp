// Direct logit attribution: one forward pass of the model with a ResidualLedger following the position, then the
// final norm and output layer applied to the ledger's parts (nn/residual_ledger.h, each family's
// attributeLogit). The logit itself comes from the same pass's residual stream through the model's own head.
#include "headlight/attribution.h"

#include "engine/loaded_model.h"
#include "engine/request_check.h"
#include "headlight/error.h"
#include "nn/residual_ledger.h"
#include "nn/torch_bridge.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

namespace headlight {

std::vector<size_t> Attribution::largest(size_t count) const {
    std::vector<size_t> order(terms.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return std::abs(terms[a].value) > std::abs(terms[b].value); });
    order.resize(std::min(count, order.size()));
    return order;
}

Attribution attributeLogit(const Engine& engine, const AttributionRequest& request) {
    const ModelConfig& c = engine.config();
    const auto T = static_cast<int64_t>(request.tokenIds.size());
    if (request.position < 0 || request.position >= T)
        throw Error("--position", std::to_string(request.position) + " is outside the text (" + std::to_string(T) + " tokens: 0.." +
                                      std::to_string(T - 1) + ")");
    if (request.target && (*request.target < 0 || *request.target >= c.vocabSize))
        throw Error("--target", std::to_string(*request.target) + " is outside the vocabulary (0.." + std::to_string(c.vocabSize - 1) + ")");
    checkTokenIds(c, request.tokenIds);   // as a run checks them
    checkHeadMask(c, request.headMask);

    const Transformer& model = engine.loaded().singleStack("Direct logit attribution");
    const torch::Device device = engine.loaded().device;
    torch::NoGradGuard noGrad;
    const auto ids = torch::tensor(request.tokenIds, torch::kLong).to(device).unsqueeze(0);   // [1,T]
    ResidualLedger ledger(request.position);
    ForwardOptions options;
    options.ledger = &ledger;
    if (!request.headMask.empty()) options.headMask = toTensor(FloatArray({c.nLayer, c.nHead}, request.headMask), device);
    std::vector<torch::Tensor> residuals(static_cast<size_t>(c.nLayer) + 1);
    const ForwardResult result = model.forwardFrom(0, model.embed(ids), options, &residuals);
    if (!result.logits.defined()) throw Error("attribute", "the model has no output layer, so no logits to attribute");
    const torch::Tensor& stream = residuals.back();                                  // [1,T,D] the final norm's input

    Attribution out;
    out.position = request.position;
    const auto row = result.logits.select(0, 0).select(0, request.position).to(torch::kCPU, torch::kDouble);   // [V]
    out.target = request.target ? *request.target : row.argmax().item<int64_t>();
    out.outputLogit = row[out.target].item<double>();
    out.logit = model.headBeforeCap(stream).select(0, 0).select(0, request.position)[out.target].to(torch::kDouble).item<double>();
    if (engine.tokenizer()) out.targetText = engine.tokenizer()->tokenText(out.target);
    const std::vector<double> shares = model.attributeLogit(ledger, stream, out.target);
    const auto& parts = ledger.parts();
    for (size_t i = 0; i < parts.size(); ++i) {
        out.terms.push_back({parts[i].kind, parts[i].name, parts[i].layer, parts[i].head, shares[i]});
        out.termSum += shares[i];
    }
    return out;
}

std::string attributionJson(const Attribution& a) {
    nlohmann::json terms = nlohmann::json::array();
    for (const AttributionTerm& t : a.terms)
        terms.push_back({{"kind", t.kind}, {"name", t.name}, {"layer", t.layer}, {"head", t.head}, {"value", t.value}});
    nlohmann::json j = {{"position", a.position}, {"target", a.target}, {"target_text", a.targetText}, {"logit", a.logit},
                        {"output_logit", a.outputLogit}, {"sum", a.termSum}, {"terms", terms}};
    return j.dump(1);
}

} // namespace headlight
