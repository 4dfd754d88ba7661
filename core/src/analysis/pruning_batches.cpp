// Internal: the pruning analyses' batches and model (pruning_batches.h).
#include "analysis/pruning_batches.h"

#include "engine/loaded_model.h"
#include "headlight/attention_stack.h"
#include "model/encoder_decoder_model.h"
#include "model/transformer.h"
#include "engine/objective.h"
#include "engine/request_check.h"
#include "headlight/error.h"

namespace headlight {

int64_t floatBudget(const torch::Device& device) { return device.is_cuda() ? int64_t{1} << 27 : int64_t{1} << 22; }

EngineModel engineModel(const Engine& engine) {
    const LoadedModel& loaded = engine.loaded();
    return {loaded.model.get(), loaded.encoderDecoder.get(), loaded.device};
}

const ModelConfig& EngineModel::config() const { return model ? model->config() : seq2seq->config(); }

int64_t EngineModel::rows() const { return stackRows(config()); }

torch::Tensor EngineModel::logits(const torch::Tensor& sources, const torch::Tensor& ids, const torch::Tensor& mask) const {
    if (model) {
        ForwardOptions options;
        options.headMask = mask;
        return model->forward(ids, options).logits;
    }
    // The stack's rows split into the three kinds' masks, along the rows' axis.
    const ModelConfig& c = config();
    const int64_t Le = c.encoderDecoder->layers, L = c.nLayer, axis = mask.dim() == 3 ? 1 : 0;
    EncoderDecoderOptions options;
    options.encoderHeadMask = mask.narrow(axis, 0, Le);
    options.decoderHeadMask = mask.narrow(axis, Le, L);
    options.crossHeadMask = mask.narrow(axis, Le + L, L);
    return seq2seq->forward(sources, ids, options).logits;
}

int64_t rowCost(const ModelConfig& c, int64_t T, bool withGrad) {
    const int64_t perLayer = 12 * c.nEmbd + 3 * c.nHead * T;
    return T * (2 * c.vocabSize + (withGrad ? stackRows(c) : 1) * perLayer);
}

std::vector<PruningBatch> makeBatches(const ExampleSet& data, const ModelConfig& c, const torch::Device& device, bool withGrad) {
    const int64_t budget = floatBudget(device);
    if (data.ids.empty()) throw Error("data", "no examples");
    // Padding after an example's end changes nothing before it only under a causal mask: bidirectional
    // models batch examples of one length only.
    // An encoder-decoder model's source is read bidirectionally: one source length per batch.
    const bool seq2seq = c.isEncoderDecoder();
    if (seq2seq && data.sources.size() != data.ids.size()) throw Error("data", "an encoder-decoder model needs a source for every example");
    auto fits = [&](size_t first, size_t next) {
        if (seq2seq && data.sources[next].size() != data.sources[first].size()) return false;
        return c.causal || data.ids[next].size() == data.ids[first].size();
    };
    std::vector<PruningBatch> out;
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
        PruningBatch batch{ids.to(device), targets.to(device), {}};
        if (seq2seq) {
            const auto S = static_cast<int64_t>(data.sources[start].size());
            auto sources = torch::empty({B, S}, torch::kLong);
            for (int64_t b = 0; b < B; ++b)
                std::copy(data.sources[start + static_cast<size_t>(b)].begin(), data.sources[start + static_cast<size_t>(b)].end(),
                          sources.data_ptr<int64_t>() + b * S);
            batch.sources = sources.to(device);
        }
        out.push_back(std::move(batch));
        start = end;
    }
    return out;
}

std::pair<torch::Tensor, torch::Tensor> rowStats(const torch::Tensor& logits, const torch::Tensor& targets) {
    auto loss = targetMean(targetNll(logits, targets), targets);                   // [R]
    auto hits = targetHits(logits, targets).sum(1);                                // [R]
    return {loss, hits};
}

double scoredCount(const PruningBatch& b) { return (b.targets >= 0).sum().item<double>(); }

torch::Tensor maskTensor(const std::vector<float>& headMask, const ModelConfig& c, const torch::Device& device) {
    const ModelConfig stacked = stackedConfig(c);   // n_layer: the stack's rows
    checkHeadMask(stacked, headMask);
    auto t = headMask.empty() ? torch::ones({stacked.nLayer, c.nHead}) : torch::tensor(headMask).view({stacked.nLayer, c.nHead});
    return t.to(device);                                                           // [rows,H]
}

} // namespace headlight
