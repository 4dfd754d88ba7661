// AttentionDigest::add on the CPU: each head's rows of a block read once, in one vectorised loop per row that
// takes the row's statistics (its ln p computed in the loop, no [n,keys] temporary) and adds the row into column
// buffers (max and sum) for its row of cells; when that row of cells is complete the buffers are pooled across
// each cell's columns. Tensor operations take about six passes over the block and a scalar logarithm per weight
// (xlogy). The loop is compiled twice, for AVX2 and for the baseline, and the CPU picks one when the library
// loads. Maxima are exact; sums are in float within a row or a cell and in double across rows
// (tests/test_long_inputs.cpp compares with the tensor path and the logarithm with std::log).
#include "attention/attention_digest.h"
#include "attention/fast_log.h"

#include "headlight/error.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace headlight {
namespace {

// Independent accumulators per row: the logarithm's polynomial is a chain of dependent multiplies, and this
// many lanes keep enough of them in flight (measured with AVX2: the logarithm alone runs 2.7x faster over 32
// lanes than over 8; the whole digest of a 48 x 32-head model at 512 tokens was slower with 16 or 8).
constexpr int kLanes = 32;

// max(a, b) for non-negative floats, on their bit patterns (which order like the values): a float comparison
// here would keep the loop from vectorising without -ffast-math.
[[gnu::always_inline]] inline float maxNonNegative(float a, float b) {
    const int32_t d = bitsOf(a) - bitsOf(b);
    return floatOf(bitsOf(b) + (d & ~(d >> 31)));
}

struct RowSums {
    float max = 0, entropy = 0, distance = 0;
};

// Row `row` of `keys` weights (the keys' positions in `keyPos`, query position `query`): its largest weight and,
// with kStats, -sum p ln p and sum p |i - j|; with kPooled each weight also goes into the column buffers' max
// and sum. Weights below 2^-101 take ln 2^-101 (their p ln p is below 1e-28), so 0 ln 0 = 0 without a branch.
template <bool kStats, bool kPooled>
[[gnu::always_inline]] inline RowSums rowPass(const float* row, const float* keyPos, float query, int64_t keys, float* colMax, float* colSum) {
    float mx[kLanes] = {}, ent[kLanes] = {}, dist[kLanes] = {};
    const auto lane = [&](int k, int64_t j) __attribute__((always_inline)) {
        const float p = row[j];
        mx[k] = maxNonNegative(mx[k], p);
        if constexpr (kStats) {
            ent[k] -= p * logPositive(maxNonNegative(p, 0x1p-101f));
            dist[k] += p * std::fabs(query - keyPos[j]);
        }
        if constexpr (kPooled) {
            colMax[j] = maxNonNegative(colMax[j], p);
            colSum[j] += p;
        }
    };
    int64_t j = 0;
    for (; j + kLanes <= keys; j += kLanes)
        for (int k = 0; k < kLanes; ++k) lane(k, j + k);
    for (int k = 0; j < keys; ++j, ++k) lane(k, j);
    RowSums s;
    for (int k = 0; k < kLanes; ++k) {
        s.max = std::max(s.max, mx[k]);
        s.entropy += ent[k];
        s.distance += dist[k];
    }
    return s;
}

struct BlockView {
    const float* probs;   // [H,n,keys]
    int64_t n, keys, row0, col0;
    const float* keyPos;  // [keys]: col0, col0 + 1, ...
    bool causal;          // row i's keys after i are 0: not read
};

struct DigestTarget {
    double* sums;         // [H,4] or null
    float* cellMax;       // [H,C,C] or null
    float* cellSum;       // [H,C,C] or null
    int64_t bin, cells;
};

// Heads h0..h1 of the block: its rows' statistics into target.sums, its cells into the pictures.
template <bool kStats, bool kPooled>
[[gnu::always_inline]] inline void digestHeads(const BlockView& b, const DigestTarget& t, int64_t h0, int64_t h1) {
    std::vector<float> colMax(kPooled ? static_cast<size_t>(b.keys) : 0), colSum(colMax.size());
    for (int64_t h = h0; h < h1; ++h) {
        double entropy = 0, maxWeight = 0, distance = 0, first = 0;
        for (int64_t r = 0; r < b.n; ++r) {
            const int64_t i = b.row0 + r;
            const float* row = b.probs + (h * b.n + r) * b.keys;
            const int64_t seen = b.causal ? std::clamp<int64_t>(i - b.col0 + 1, 0, b.keys) : b.keys;
            const RowSums s = rowPass<kStats, kPooled>(row, b.keyPos, static_cast<float>(i), seen, colMax.data(), colSum.data());
            entropy += s.entropy;
            maxWeight += s.max;
            distance += s.distance;
            if (b.col0 == 0) first += row[0];
            // The row of cells is complete (or the block ends inside it): pool the buffers into its cells.
            if (!kPooled || ((i + 1) % t.bin != 0 && r + 1 < b.n)) continue;
            for (int64_t c = b.col0 / t.bin; c * t.bin < b.col0 + b.keys; ++c) {
                const int64_t lo = std::max(c * t.bin, b.col0) - b.col0, hi = std::min((c + 1) * t.bin, b.col0 + b.keys) - b.col0;
                float m = 0, sum = 0;
                for (int64_t j = lo; j < hi; ++j) {
                    m = std::max(m, colMax[static_cast<size_t>(j)]);
                    sum += colSum[static_cast<size_t>(j)];
                }
                const int64_t cell = (h * t.cells + i / t.bin) * t.cells + c;
                t.cellMax[cell] = std::max(t.cellMax[cell], m);
                if (t.cellSum) t.cellSum[cell] += sum;
            }
            std::fill(colMax.begin(), colMax.end(), 0.0f);
            std::fill(colSum.begin(), colSum.end(), 0.0f);
        }
        if (!kStats) continue;
        double* out = t.sums + h * 4;
        out[0] += entropy;
        out[1] += maxWeight;
        out[2] += distance;
        out[3] += first;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target_clones("avx2", "default")))
#endif
void digestHeadsCompiledFor(const BlockView& b, const DigestTarget& t, int64_t h0, int64_t h1) {
    const bool stats = t.sums != nullptr, pooled = t.cellMax != nullptr;
    if (stats && pooled) digestHeads<true, true>(b, t, h0, h1);
    else if (stats) digestHeads<true, false>(b, t, h0, h1);
    else if (pooled) digestHeads<false, true>(b, t, h0, h1);
    else digestHeads<false, false>(b, t, h0, h1);
}

} // namespace

void AttentionDigest::addOnePass(const torch::Tensor& probs, int64_t row0, int64_t col0) {
    if ((stats_ && !sums_.device().is_cpu()) || (bin_ > 0 && !max_.device().is_cpu()))
        throw Error("attention", "the one-pass digest runs on the CPU");
    const int64_t keys = probs.size(2);
    std::vector<float> keyPos(static_cast<size_t>(keys));
    for (int64_t j = 0; j < keys; ++j) keyPos[static_cast<size_t>(j)] = static_cast<float>(col0 + j);   // exact below 2^24
    const BlockView block{probs.data_ptr<float>(), probs.size(1), keys, row0, col0, keyPos.data(), causal_};
    const DigestTarget target{stats_ ? sums_.data_ptr<double>() : nullptr, bin_ > 0 ? max_.data_ptr<float>() : nullptr,
                              bin_ > 1 ? sum_.data_ptr<float>() : nullptr, bin_, cells_};
    at::parallel_for(0, H_, 1, [&](int64_t h0, int64_t h1) { digestHeadsCompiledFor(block, target, h0, h1); });
}

} // namespace headlight
