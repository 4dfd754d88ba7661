// AttentionDigest::add on the CPU: each head's rows of a block read once, in one vectorised loop per row that
// accumulates the row's statistics and adds the row into column buffers (max and sum) for its row of cells;
// when that row of cells is complete the buffers are pooled across each cell's columns. Tensor operations
// take about six passes over the block, reductions over cells of a few columns, and a scalar logarithm per
// weight (xlogy); here one torch::log (vectorised) and one pass do it. Maxima are exact; sums are in float
// within a row or a cell's rows and in double across them (tests/test_long_inputs.cpp compares with the
// tensor path).
#include "attention/attention_digest.h"

#include "headlight/error.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace headlight {
namespace {

struct RowSums {
    float max = 0, entropy = 0, distance = 0;
};

// Row `row` of `keys` weights (ln p in `logs`, -inf where p = 0; the keys' positions in `keyPos`, query
// position `query`): its largest weight and, with kStats, -sum p ln p and sum p |i - j|; with kPooled each
// weight also goes into the column buffers' max and sum.
template <bool kStats, bool kPooled>
RowSums rowPass(const float* row, const float* logs, const float* keyPos, float query, int64_t keys, float* colMax, float* colSum) {
    float max = 0, entropy = 0, distance = 0;
#pragma omp simd reduction(max : max) reduction(+ : entropy, distance)
    for (int64_t j = 0; j < keys; ++j) {
        const float p = row[j];
        max = std::max(max, p);
        if constexpr (kStats) {
            entropy -= p > 0.0f ? p * logs[j] : 0.0f;
            distance += p * std::fabs(query - keyPos[j]);
        }
        if constexpr (kPooled) {
            colMax[j] = std::max(colMax[j], p);
            colSum[j] += p;
        }
    }
    return {max, entropy, distance};
}

} // namespace

void AttentionDigest::addOnePass(const torch::Tensor& probs, int64_t row0, int64_t col0) {
    if ((stats_ && !sums_.device().is_cpu()) || (bin_ > 0 && !max_.device().is_cpu()))
        throw Error("attention", "the one-pass digest runs on the CPU");
    const int64_t n = probs.size(1), keys = probs.size(2);
    const float* P = probs.data_ptr<float>();
    double* sums = stats_ ? sums_.data_ptr<double>() : nullptr;
    float* cellMax = bin_ > 0 ? max_.data_ptr<float>() : nullptr;
    double* cellSum = bin_ > 1 ? sum_.data_ptr<double>() : nullptr;
    std::vector<float> keyPos(static_cast<size_t>(keys));
    for (int64_t j = 0; j < keys; ++j) keyPos[static_cast<size_t>(j)] = static_cast<float>(col0 + j);   // exact below 2^24
    const bool pooled = bin_ > 0;
    auto pass = stats_ ? (pooled ? rowPass<true, true> : rowPass<true, false>) : (pooled ? rowPass<false, true> : rowPass<false, false>);

    at::parallel_for(0, H_, 1, [&](int64_t h0, int64_t h1) {
        std::vector<float> colMax(pooled ? static_cast<size_t>(keys) : 0), colSum(colMax.size());
        for (int64_t h = h0; h < h1; ++h) {
            // ln p of this head's rows, while they are in cache (one vectorised pass; -inf where p = 0).
            const torch::Tensor logs = stats_ ? torch::log(probs.select(0, h)) : torch::Tensor();
            const float* L = stats_ ? logs.data_ptr<float>() - h * n * keys : nullptr;   // indexed like P
            double entropy = 0, maxWeight = 0, distance = 0, first = 0;
            for (int64_t r = 0; r < n; ++r) {
                const int64_t i = row0 + r, offset = (h * n + r) * keys;
                const RowSums s = pass(P + offset, stats_ ? L + offset : nullptr, keyPos.data(), static_cast<float>(i), keys,
                                       colMax.data(), colSum.data());
                entropy += s.entropy;
                maxWeight += s.max;
                distance += s.distance;
                if (col0 == 0) first += P[offset];
                // The row of cells is complete (or the block ends inside it): pool the buffers into its cells.
                if (!pooled || ((i + 1) % bin_ != 0 && r + 1 < n)) continue;
                for (int64_t c = col0 / bin_; c * bin_ < col0 + keys; ++c) {
                    const int64_t a = std::max(c * bin_, col0) - col0, b = std::min((c + 1) * bin_, col0 + keys) - col0;
                    float m = 0;
                    double sum = 0;
                    for (int64_t j = a; j < b; ++j) {
                        m = std::max(m, colMax[static_cast<size_t>(j)]);
                        sum += colSum[static_cast<size_t>(j)];
                    }
                    const int64_t cell = (h * cells_ + i / bin_) * cells_ + c;
                    cellMax[cell] = std::max(cellMax[cell], m);
                    if (cellSum) cellSum[cell] += sum;
                }
                std::fill(colMax.begin(), colMax.end(), 0.0f);
                std::fill(colSum.begin(), colSum.end(), 0.0f);
            }
            if (!stats_) continue;
            double* out = sums + h * 4;
            out[0] += entropy;
            out[1] += maxWeight;
            out[2] += distance;
            out[3] += first;
        }
    });
}

} // namespace headlight
