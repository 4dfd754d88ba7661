#include "training/batches.h"

#include <algorithm>
#include <vector>

namespace headlight {

Batch makeBatch(const ExampleSource& source, std::mt19937_64& rng, int size) {
    std::vector<ScoredExample> examples;
    size_t T = 0;
    for (int b = 0; b < size; ++b) {
        examples.push_back(source.draw(rng));
        T = std::max(T, examples.back().ids.size());
    }
    auto ids = torch::full({size, static_cast<int64_t>(T)}, source.padId(), torch::kLong);
    auto targets = torch::full({size, static_cast<int64_t>(T)}, -1, torch::kLong);
    auto idAcc = ids.accessor<int64_t, 2>();
    auto targetAcc = targets.accessor<int64_t, 2>();
    Batch batch;
    for (int b = 0; b < size; ++b) {
        const auto& ex = examples[static_cast<size_t>(b)];
        for (size_t t = 0; t < ex.ids.size(); ++t) {
            idAcc[b][static_cast<int64_t>(t)] = ex.ids[t];
            targetAcc[b][static_cast<int64_t>(t)] = ex.targets[t];
        }
        batch.tokens += static_cast<int64_t>(ex.ids.size());
    }
    batch.ids = ids;
    batch.targets = targets;
    return batch;
}

void checkEveryExample(const ExampleSource& source, std::mt19937_64 rng, int64_t examples) {
    for (int64_t i = 0; i < examples; ++i) source.draw(rng);
}

} // namespace headlight
