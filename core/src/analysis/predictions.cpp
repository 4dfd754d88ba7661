#include "headlight/predictions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace headlight {

PositionPredictions predictionsAt(const Trace& trace, int64_t position, int k) {
    PositionPredictions out;
    const FloatArray& logits = trace.logits;   // [T,V]
    const int64_t T = static_cast<int64_t>(trace.tokenIds.size());
    if (logits.rank() != 2 || logits.dim(0) != T || logits.dim(1) <= 0 || position < 0 || position >= T) return out;
    const int64_t V = logits.dim(1);
    const float* row = logits.data() + position * V;
    // Softmax in float64 with the largest logit subtracted (exp never overflows).
    std::vector<double> p(static_cast<size_t>(V));
    const double top = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += p[static_cast<size_t>(v)] = std::exp(row[v] - top);
    for (double& x : p) x /= sum;

    std::vector<int64_t> order(static_cast<size_t>(V));
    std::iota(order.begin(), order.end(), 0);
    const int64_t shown = std::clamp<int64_t>(k, 0, V);
    std::partial_sort(order.begin(), order.begin() + shown, order.end(), [&](int64_t a, int64_t b) {
        return p[static_cast<size_t>(a)] != p[static_cast<size_t>(b)] ? p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)] : a < b;
    });
    for (int64_t r = 0; r < shown; ++r) out.top.push_back({order[static_cast<size_t>(r)], p[static_cast<size_t>(order[static_cast<size_t>(r)])]});
    if (position < T - 1) {
        const int64_t next = trace.tokenIds[static_cast<size_t>(position) + 1];
        if (next >= 0 && next < V) {
            out.actualId = next;
            out.actualProbability = p[static_cast<size_t>(next)];
            out.actualRank = static_cast<int>(std::count_if(p.begin(), p.end(), [&](double x) { return x > out.actualProbability; }));
        }
    }
    return out;
}

} // namespace headlight
