// Internal: the pruning analyses' batches and model (pruning_batches.h).
#include "analysis/pruning_batches.h"

#include "engine/loaded_model.h"
#include "engine/objective.h"
#include "engine/request_check.h"
#include "headlight/error.h"

namespace headlight {

int64_t floatBudget(const torch::Device& device) { return device.is_cuda() ? int64_t{1} << 27 : int64_t{1} << 22; }

EngineModel engineModel(const Engine& engine) { return {&engine.loaded().singleStack("Pruning analysis"), engine.loaded().device}; }

int64_t rowCost(const ModelConfig& c, int64_t T, bool withGrad) {
    const int64_t perLayer = 12 * c.nEmbd + 3 * c.nHead * T;
    return T * (2 * c.vocabSize + (withGrad ? c.nLayer : 1) * perLayer);
}

std::vector<Batch> makeBatches(const ExampleSet& data, const ModelConfig& c, const torch::Device& device, bool withGrad) {
    const int64_t budget = floatBudget(device);
    if (data.ids.empty()) throw Error("data", "no examples");
    // Padding after an example's end changes nothing before it only under a causal mask: bidirectional
    // models batch examples of one length only.
    auto fits = [&](size_t first, size_t next) { return c.causal || data.ids[next].size() == data.ids[first].size(); };
    std::vector<Batch> out;
    size_t start = 0;
    while (start < data.size()) {
        size_t end = start + 1;
        int64_t T = static_cast<int64_t>(data.ids[start].size());
        while (end < data.size() && static_cast<int64_t>(end - start) < kMaxExamplesPerBatch && fits(start, end)) {
            const int64_t T2 = std::max(T, static_cast<int64_t>(data.ids[end].size()));
            if (static_cast<int64_t>(end - start + 1) * rowCost(c, T2, withGrad) > budget) break;
            T = T2;
            ++end;
        }
        const auto B = static_cast<int64_t>(end - start);
        auto ids = torch::zeros({B, T}, torch::kLong);
        auto targets = torch::full({B, T}, -1, torch::kLong);
        auto idAcc = ids.accessor<int64_t, 2>();
        auto tgAcc = targets.accessor<int64_t, 2>();
        for (int64_t b = 0; b < B; ++b) {
            const auto& x = data.ids[start + static_cast<size_t>(b)];
            const auto& y = data.targets.at(start + static_cast<size_t>(b));
            if (x.empty() || y.size() != x.size()) throw Error("data", "example " + std::to_string(start + static_cast<size_t>(b) + 1) + " is malformed");
            for (size_t t = 0; t < x.size(); ++t) {
                idAcc[b][static_cast<int64_t>(t)] = x[t];
                tgAcc[b][static_cast<int64_t>(t)] = y[t];
            }
        }
        out.push_back({ids.to(device), targets.to(device)});
        start = end;
    }
    return out;
}

std::pair<torch::Tensor, torch::Tensor> rowStats(const torch::Tensor& logits, const torch::Tensor& targets) {
    auto loss = targetMean(targetNll(logits, targets), targets);                   // [R]
    auto hits = targetHits(logits, targets).sum(1);                                // [R]
    return {loss, hits};
}

double scoredCount(const Batch& b) { return (b.targets >= 0).sum().item<double>(); }

torch::Tensor maskTensor(const std::vector<float>& headMask, const ModelConfig& c, const torch::Device& device) {
    checkHeadMask(c, headMask);
    auto t = headMask.empty() ? torch::ones({c.nLayer, c.nHead}) : torch::tensor(headMask).view({c.nLayer, c.nHead});
    return t.to(device);                                                           // [L,H]
}

} // namespace headlight
