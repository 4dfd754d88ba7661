#include "training/span_start.h"

#include "headlight/mechanisms/adaptive_span.h"
#include "mechanisms/adaptive_span.h"
#include "training/training_losses.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace headlight {
namespace {

// Fractions of max_span a head's start is chosen from: 0, then doubling to the whole span.
const std::vector<double> kGrid = {0.0, 1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 3.0 / 8, 1.0 / 2, 5.0 / 8, 3.0 / 4, 1.0};
// Per-head moves cost L * H * |grid| forward passes a round: a model with more heads than this (a
// GPT-2-small-sized one: 144) moves whole layers only, on a coarser grid and in fewer rounds (each forward pass of
// such a model with its 50257-token output layer costs about a second on two cores), and the gradient steps
// refine each head.
constexpr int kSmallModelHeads = 80;
const std::vector<double> kCoarseGrid = {0.0, 1.0 / 8, 1.0 / 4, 1.0 / 2, 1.0};
constexpr int kRounds = 3, kLargeModelRounds = 2;
constexpr int kProbeExamples = 32;

} // namespace

SpanSearch searchSpanStarts(Transformer& model, const torch::Tensor& ids, const torch::Tensor& targets, double lambda) {
    torch::NoGradGuard noGrad;
    const ModelConfig& c = model.config();
    MechanismHost& host = model.mechanismHost();
    SpanSearch s;
    auto fractionOf = [&](int l) { return host.mechanisms(l).slot(adaptive_span::kFraction); };
    auto objective = [&] {
        ++s.evaluations;
        const auto out = model.forward(ids, ForwardOptions{});
        return (scoredCrossEntropy(out.logits, targets) + lambda * spanPenalty(host)).item<double>();
    };
    // From one start: each round, every head's best grid value with the others held, then those moves applied
    // best first, each kept only while it still lowers the objective (heads interact: a wide span in an early
    // layer can stand in, badly, for the one a later head needs).
    const bool small = c.nLayer * c.nHead <= kSmallModelHeads;
    const std::vector<double>& grid = small ? kGrid : kCoarseGrid;
    auto descend = [&](double start) {
        for (int l = 0; l < c.nLayer; ++l) fractionOf(l).fill_(start);
        double best = objective();
        s.before = best;
        for (int round = 0; round < (small ? kRounds : kLargeModelRounds); ++round) {
            struct Move { double gain; int layer, head; double value; };   // head -1: the whole layer
            std::vector<Move> moves;
            for (int l = 0; l < c.nLayer; ++l) {
                torch::Tensor fraction = fractionOf(l);
                const torch::Tensor kept = fraction.clone();
                Move m{0.0, l, -1, 0.0};
                for (double g : grid) {
                    fraction.fill_(g);
                    const double v = objective();
                    if (best - v > m.gain) m = {best - v, l, -1, g};
                }
                fraction.copy_(kept);
                if (m.gain > 0) moves.push_back(m);
            }
            for (int l = 0; small && l < c.nLayer; ++l)
                for (int h = 0; h < c.nHead; ++h) {
                    torch::Tensor fraction = fractionOf(l);
                    const double kept = fraction[h].item<double>();
                    Move m{0.0, l, h, kept};
                    for (double g : grid) {
                        if (g == kept) continue;
                        fraction[h].fill_(g);
                        const double v = objective();
                        if (best - v > m.gain) m = {best - v, l, h, g};
                    }
                    fraction[h].fill_(kept);
                    if (m.gain > 0) moves.push_back(m);
                }
            if (moves.empty()) break;
            std::sort(moves.begin(), moves.end(), [](const Move& a, const Move& b) { return a.gain > b.gain; });
            for (const Move& m : moves) {
                torch::Tensor fraction = fractionOf(m.layer);
                const torch::Tensor kept = fraction.clone();
                (m.head < 0 ? fraction : fraction[m.head]).fill_(m.value);
                const double v = objective();
                if (v < best) best = v;
                else fraction.copy_(kept);
            }
        }
        std::vector<torch::Tensor> chosen;
        for (int l = 0; l < c.nLayer; ++l) chosen.push_back(fractionOf(l).clone());
        return std::make_pair(best, chosen);
    };
    // From the model as it was: every span full. (A second start with every span at 0 never won on the sample
    // models and doubled the cost: docs/fitting.md.)
    const auto chosen = descend(1.0);
    for (int l = 0; l < c.nLayer; ++l) fractionOf(l).copy_(chosen.second[static_cast<size_t>(l)]);
    s.after = chosen.first;
    return s;
}

SpanSearch searchSpanStarts(Transformer& model, const ExampleSource& examples, uint64_t seed, int batchSize, double lambda,
                            const torch::Device& device) {
    std::mt19937_64 rng(seed * 6364136223846793005ULL + 11);
    const ModelConfig& c = model.config();
    const bool small = c.nLayer * c.nHead <= kSmallModelHeads;
    const Batch probe = makeBatch(examples, rng, small ? std::max(batchSize, kProbeExamples) : batchSize);
    return searchSpanStarts(model, probe.ids.to(device), probe.targets.to(device), lambda);
}

} // namespace headlight
