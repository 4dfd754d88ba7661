#include "headlight/flops.h"

#include "families/family.h"

#include <algorithm>
#include <chrono>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {
namespace {

// Key positions query i sees, summed over the T queries.
double visiblePairs(const ModelConfig& c, int layer, int64_t T) {
    const int64_t w = c.windowOf(layer);
    double pairs = 0;
    for (int64_t i = 0; i < T; ++i) {
        int64_t seen = c.causal ? i + 1 : T;
        if (w > 0) seen = std::min(seen, w);
        pairs += static_cast<double>(seen);
    }
    return pairs;
}

} // namespace

double forwardFlops(const ModelConfig& c, int64_t T) {
    const double D = c.nEmbd, d = c.headDim(), H = c.nHead, Hkv = c.kvHeads(), F = c.mlpWidth(), t = static_cast<double>(T);
    const double mlpMatrices = familyOf(c).traits.mlpMatrices;   // a gated MLP has three
    double total = 0;
    for (int l = 0; l < c.nLayer; ++l) {
        const double projections = D * H * d + 2 * D * Hkv * d + H * d * D;
        const double mlp = c.hasMlp() ? mlpMatrices * D * F : 0.0;
        total += 2.0 * t * (projections + mlp);
        total += 2.0 * 2.0 * d * H * (visiblePairs(c, l, T) + c.extraKeysPerHead() * t);   // q.k and p.v
    }
    return total + 2.0 * t * D * c.vocabSize;
}

double matmulFlopsPerSecond(int64_t n, int repeat) {
    torch::NoGradGuard noGrad;
    auto a = torch::rand({n, n}), b = torch::rand({n, n}), out = torch::empty({n, n});
    torch::mm_out(out, a, b);   // warm-up: threads started, pages mapped
    double best = 0;
    for (int r = 0; r < std::max(1, repeat); ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        torch::mm_out(out, a, b);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / s);
    }
    return best;
}

} // namespace headlight
