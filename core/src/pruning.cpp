// Pruning what-ifs on the model's own forward pass: head importance (gradient of the loss with respect to a
// head mask), single-head ablation with heads on the batch axis, and pruning curves. docs/pruning.md.
#include "headlight/pruning.h"

#include "engine_internal.h"
#include "gpt_model.h"
#include "headlight/error.h"
#include "torch_bridge.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>

namespace headlight {
namespace {

// Floats one forward pass may hold: bounds rows per batch, since heads x examples can be large. On the CPU,
// larger batches buy nothing (per-op overhead is already amortized) and fresh memory costs page faults, so
// the budget is small there; a GPU wants wide batches.
int64_t floatBudget(const torch::Device& device) { return device.is_cuda() ? int64_t{1} << 27 : int64_t{1} << 22; }
constexpr int64_t kMaxExamplesPerBatch = 64;

// The engine's own model (read-only, so an analysis may run beside the engine's runs).
struct EngineModel {
    const GptModel* model;
    torch::Device device;
};

EngineModel engineModel(const Engine& engine) { return {&modelOf(engine), deviceOf(engine)}; }

// Calls `progress` (when set) with `fraction`; a false answer stops the analysis.
void report(const AnalysisProgress& progress, double fraction) {
    if (progress && !progress(fraction)) throw Cancelled{};
}

// `progress` seen through [from, to]: one piece of a longer analysis reports 0..1 of its own part. The piece
// must not outlive `progress`.
AnalysisProgress part(const AnalysisProgress& progress, double from, double to) {
    if (!progress) return {};
    return [&progress, from, to](double f) { return progress(from + (to - from) * f); };
}

// The caller's callback made monotone within [0, 1] (pieces of an analysis are estimates of its cost), with
// exact repeats left out.
AnalysisProgress monotone(const AnalysisProgress& progress) {
    if (!progress) return {};
    auto last = std::make_shared<double>(-1.0);
    return [progress, last](double f) {
        f = std::min(1.0, std::max(*last, f));
        if (f == *last) return true;
        *last = f;
        return progress(f);
    };
}

struct Batch {
    torch::Tensor ids;      // [B,T] int64, padded with id 0 after each example's end
    torch::Tensor scored;   // [B,T-1] float, 0 on padding
};

// Rough floats per batch row of length T: logits and log-softmax, activations, attention maps; with
// gradients, every layer's saved activations count.
int64_t rowCost(const ModelConfig& c, int64_t T, bool withGrad) {
    const int64_t perLayer = 12 * c.nEmbd + 3 * c.nHead * T;
    return T * (2 * c.vocabSize + (withGrad ? c.nLayer : 1) * perLayer);
}

std::vector<Batch> makeBatches(const ExampleSet& data, const ModelConfig& c, const torch::Device& device, bool withGrad) {
    const int64_t budget = floatBudget(device);
    if (data.ids.empty()) throw Error("data", "no examples");
    std::vector<Batch> out;
    size_t start = 0;
    while (start < data.size()) {
        size_t end = start + 1;
        int64_t T = static_cast<int64_t>(data.ids[start].size());
        while (end < data.size() && static_cast<int64_t>(end - start) < kMaxExamplesPerBatch) {
            const int64_t T2 = std::max(T, static_cast<int64_t>(data.ids[end].size()));
            if (static_cast<int64_t>(end - start + 1) * rowCost(c, T2, withGrad) > budget) break;
            T = T2;
            ++end;
        }
        const auto B = static_cast<int64_t>(end - start);
        auto ids = torch::zeros({B, T}, torch::kLong);
        auto scored = torch::zeros({B, T - 1});
        auto idAcc = ids.accessor<int64_t, 2>();
        auto scAcc = scored.accessor<float, 2>();
        for (int64_t b = 0; b < B; ++b) {
            const auto& x = data.ids[start + static_cast<size_t>(b)];
            const auto& s = data.scored[start + static_cast<size_t>(b)];
            if (x.size() < 2 || s.size() + 1 != x.size()) throw Error("data", "example " + std::to_string(start + static_cast<size_t>(b) + 1) + " is malformed");
            for (size_t t = 0; t < x.size(); ++t) idAcc[b][static_cast<int64_t>(t)] = x[t];
            for (size_t t = 0; t < s.size(); ++t) scAcc[b][static_cast<int64_t>(t)] = s[t];
        }
        out.push_back({ids.to(device), scored.to(device)});
        start = end;
    }
    return out;
}

// Per row: L(x), the mean next-token loss over scored positions, and the count of right argmax predictions.
std::pair<torch::Tensor, torch::Tensor> rowStats(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored) {
    const int64_t T = ids.size(1);
    auto predicting = logits.narrow(1, 0, T - 1);                                  // [R,T-1,V]
    auto targets = ids.narrow(1, 1, T - 1);                                        // [R,T-1]
    auto nll = -torch::log_softmax(predicting, -1).gather(2, targets.unsqueeze(2)).squeeze(2);   // [R,T-1]
    auto loss = (nll * scored).sum(1) / scored.sum(1).clamp_min(1.0);             // [R]
    auto hits = ((predicting.argmax(-1) == targets).to(torch::kFloat) * scored).sum(1);   // [R]
    return {loss, hits};
}

torch::Tensor maskTensor(const std::vector<float>& headMask, const ModelConfig& c, const torch::Device& device) {
    const size_t LH = static_cast<size_t>(c.nLayer) * static_cast<size_t>(c.nHead);
    if (!headMask.empty() && headMask.size() != LH)
        throw Error("head mask", "has " + std::to_string(headMask.size()) + " values, expected n_layer * n_head = " + std::to_string(LH));
    for (float m : headMask)
        if (!(m >= 0.0f && m <= 1.0f)) throw Error("head mask", "values must lie in [0, 1]");
    auto t = headMask.empty() ? torch::ones({c.nLayer, c.nHead}) : torch::tensor(headMask).view({c.nLayer, c.nHead});
    return t.to(device);                                                           // [L,H]
}

// Scores of M masks [M,L,H] on every example: rows are (mask, example) pairs, as many per forward as fit.
std::vector<MaskedScore> scoreMasks(const EngineModel& m, const std::vector<Batch>& batches, const torch::Tensor& masks,
                                    const AnalysisProgress& progress = {}) {
    torch::NoGradGuard noGrad;
    const ModelConfig& c = m.model->config();
    const int64_t M = masks.size(0);
    auto lossSum = torch::zeros({M}, torch::TensorOptions().dtype(torch::kDouble).device(m.device));
    auto hitSum = torch::zeros({M}, lossSum.options());
    auto masksPerForward = [&](const Batch& b) {
        return std::max<int64_t>(1, floatBudget(m.device) / rowCost(c, b.ids.size(1), false) / b.ids.size(0));
    };
    int64_t forwards = 0, forwardsDone = 0;
    for (const auto& b : batches) forwards += (M + masksPerForward(b) - 1) / masksPerForward(b);
    double scoredTotal = 0, examples = 0;
    for (const auto& b : batches) {
        const int64_t Bx = b.ids.size(0);
        const int64_t k = masksPerForward(b);
        for (int64_t j0 = 0; j0 < M; j0 += k) {
            const int64_t kk = std::min(k, M - j0);
            ForwardOptions options;
            options.headMask = masks.narrow(0, j0, kk).repeat_interleave(Bx, 0);  // [kk*Bx,L,H], row j*Bx+b
            auto ids = b.ids.repeat({kk, 1});                                     // [kk*Bx,T]
            auto scored = b.scored.repeat({kk, 1});
            auto [loss, hits] = rowStats(m.model->forward(ids, options).logits, ids, scored);
            lossSum.narrow(0, j0, kk).add_(loss.view({kk, Bx}).sum(1).to(torch::kDouble));
            hitSum.narrow(0, j0, kk).add_(hits.view({kk, Bx}).sum(1).to(torch::kDouble));
            report(progress, static_cast<double>(++forwardsDone) / static_cast<double>(forwards));
        }
        scoredTotal += b.scored.sum().item<double>();
        examples += static_cast<double>(Bx);
    }
    lossSum = lossSum.cpu();
    hitSum = hitSum.cpu();
    std::vector<MaskedScore> out(static_cast<size_t>(M));
    for (int64_t j = 0; j < M; ++j) {
        out[static_cast<size_t>(j)].loss = lossSum[j].item<double>() / examples;
        out[static_cast<size_t>(j)].metric = scoredTotal > 0 ? hitSum[j].item<double>() / scoredTotal : NAN;
    }
    return out;
}

// I = mean over examples of |dL(x)/d xi| at xi = base, [L,H] on the CPU.
torch::Tensor importance(const EngineModel& m, const ExampleSet& data, const torch::Tensor& base, bool normalizeByLayer,
                         const AnalysisProgress& progress) {
    torch::AutoGradMode grad(true);
    const ModelConfig& c = m.model->config();
    auto sum = torch::zeros({c.nLayer, c.nHead}, torch::TensorOptions().dtype(torch::kDouble).device(m.device));
    const auto batches = makeBatches(data, c, m.device, true);
    for (size_t n = 0; n < batches.size(); ++n) {
        const Batch& b = batches[n];
        // One mask copy per example: L(x) depends only on its own row, so the gradient of the sum of the
        // per-example losses with respect to row x is exactly dL(x)/dxi, and |.| can be taken per example.
        auto xi = base.unsqueeze(0).repeat({b.ids.size(0), 1, 1}).requires_grad_(true);   // [B,L,H]
        ForwardOptions options;
        options.headMask = xi;
        auto loss = rowStats(m.model->forward(b.ids, options).logits, b.ids, b.scored).first;   // [B]
        auto g = torch::autograd::grad({loss.sum()}, {xi})[0];                   // [B,L,H]
        sum += g.detach().abs().sum(0).to(torch::kDouble);
        report(progress, static_cast<double>(n + 1) / static_cast<double>(batches.size()));
    }
    auto I = (sum / static_cast<double>(data.size())).to(torch::kFloat);
    I.masked_fill_(base == 0, 0.0);                                              // pruned heads stay out
    if (normalizeByLayer) I = I / I.norm(2, {1}, true).clamp_min(1e-20);        // each row to unit l2 norm
    return I.cpu();
}

std::vector<float> toVector(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Every head of `base` [L,H] zeroed alone, scored against `base` itself.
Ablation ablate(const EngineModel& m, const std::vector<Batch>& batches, const torch::Tensor& base, const AnalysisProgress& progress) {
    const ModelConfig& c = m.model->config();
    const int64_t L = c.nLayer, H = c.nHead;
    const double baselineShare = 1.0 / static_cast<double>(L * H + 1);   // one mask of L*H + 1
    Ablation out;
    out.baseline = scoreMasks(m, batches, base.unsqueeze(0), part(progress, 0, baselineShare)).front();
    // Mask j = base with head j also zeroed: [L*H,L,H].
    auto masks = base.reshape({1, L * H}).repeat({L * H, 1});
    masks = (masks * (1 - torch::eye(L * H, masks.options()))).view({L * H, L, H});
    const auto scores = scoreMasks(m, batches, masks, part(progress, baselineShare, 1));
    std::vector<float> dLoss, dMetric;
    const auto baseValues = toVector(base);
    for (size_t j = 0; j < scores.size(); ++j) {
        const bool pruned = baseValues[j] == 0.0f;   // ablating a pruned head changes nothing: exactly 0
        dLoss.push_back(pruned ? 0.0f : static_cast<float>(scores[j].loss - out.baseline.loss));
        dMetric.push_back(pruned ? 0.0f : static_cast<float>(scores[j].metric - out.baseline.metric));
    }
    out.deltaLoss = FloatArray({L, H}, std::move(dLoss));
    out.deltaMetric = FloatArray({L, H}, std::move(dMetric));
    return out;
}

} // namespace

MaskedScore scoreWithMask(const Engine& engine, const ExampleSet& data, const std::vector<float>& headMask) {
    const EngineModel m = engineModel(engine);
    const auto batches = makeBatches(data, engine.config(), m.device, false);
    return scoreMasks(m, batches, maskTensor(headMask, engine.config(), m.device).unsqueeze(0)).front();
}

FloatArray headImportance(const Engine& engine, const ExampleSet& data, const std::vector<float>& headMask, bool normalizeByLayer,
                          const AnalysisProgress& progress) {
    const EngineModel m = engineModel(engine);
    const auto reported = monotone(progress);
    return toArray(importance(m, data, maskTensor(headMask, engine.config(), m.device), normalizeByLayer, reported));
}

Ablation ablateHeads(const Engine& engine, const ExampleSet& data, const std::vector<float>& headMask, const AnalysisProgress& progress) {
    const EngineModel m = engineModel(engine);
    const auto reported = monotone(progress);
    return ablate(m, makeBatches(data, engine.config(), m.device, false), maskTensor(headMask, engine.config(), m.device), reported);
}

FloatArray headGateValues(const Engine& engine) {
    const ModelConfig& c = engine.config();
    if (!c.headGates) return {};
    // Gates do not depend on the input: read from the model itself (a run would replace the engine's kept run).
    torch::NoGradGuard noGrad;
    std::vector<float> gates;
    for (int l = 0; l < c.nLayer; ++l) {
        const auto row = toVector(modelOf(engine).gates(l));
        gates.insert(gates.end(), row.begin(), row.end());
    }
    return FloatArray({c.nLayer, c.nHead}, std::move(gates));
}

PruningCurve pruningCurve(const Engine& engine, const ExampleSet& data, const CurveOptions& o, const AnalysisProgress& progress) {
    const ModelConfig& c = engine.config();
    const int N = c.nLayer * c.nHead;
    if (!(o.stepPercent > 0 && o.stepPercent <= 100)) throw Error("--step-percent", "must lie in (0, 100]");
    if (o.order == PruneOrder::Gate && !c.headGates) throw Error("--order", "gate needs a model with head gates");
    const EngineModel m = engineModel(engine);
    const auto batches = makeBatches(data, c, m.device, false);
    std::vector<float> mask = toVector(maskTensor(o.headMask, c, m.device));
    const int perStep = std::max(1, static_cast<int>(std::lround(o.stepPercent / 100.0 * N)));

    // Progress over the whole curve, in units of one scoring pass over the data: importance costs about three
    // (forward and backward), ablation L*H + 1.
    const auto reported = monotone(progress);
    const auto alive0 = static_cast<int>(std::count_if(mask.begin(), mask.end(), [](float v) { return v != 0.0f; }));
    const int pruneSteps = (alive0 + perStep - 1) / perStep;
    constexpr double kImportanceCost = 3;
    double total = 1 + pruneSteps, done = 0;
    if (o.order == PruneOrder::ImportanceOnce) total += kImportanceCost;
    if (o.order == PruneOrder::Importance) total += kImportanceCost * pruneSteps;
    if (o.order == PruneOrder::Ablation) total += N + 1;
    auto piece = [&](double cost) {   // the next `cost` units of the curve
        auto p = part(reported, done / total, (done + cost) / total);
        done += cost;
        return p;
    };
    auto maskNow = [&]() { return torch::tensor(mask).view({c.nLayer, c.nHead}).to(m.device); };   // [L,H]

    PruningCurve curve;
    auto record = [&]() {
        CurveStep s;
        s.headsPruned = static_cast<int>(curve.order.size());
        s.fractionPruned = static_cast<double>(s.headsPruned) / N;
        s.score = scoreMasks(m, batches, maskNow().unsqueeze(0), piece(1)).front();
        curve.steps.push_back(s);
    };
    for (int j = 0; j < N; ++j)
        if (mask[static_cast<size_t>(j)] == 0.0f) curve.order.emplace_back(j / c.nHead, j % c.nHead);
    record();

    // Rank: lower is pruned first; ties go to the lower (layer, head) index.
    std::vector<double> rank(static_cast<size_t>(N), 0.0);
    auto setRank = [&](const std::vector<float>& v) { for (int j = 0; j < N; ++j) rank[static_cast<size_t>(j)] = v[static_cast<size_t>(j)]; };
    if (o.order == PruneOrder::ImportanceOnce) setRank(toVector(importance(m, data, maskNow(), o.normalizeByLayer, piece(kImportanceCost))));
    if (o.order == PruneOrder::Gate) setRank(headGateValues(engine).toVector());
    if (o.order == PruneOrder::Ablation) setRank(ablate(m, batches, maskNow(), piece(N + 1)).deltaLoss.toVector());
    if (o.order == PruneOrder::Random) {
        std::vector<int> perm(static_cast<size_t>(N));
        std::iota(perm.begin(), perm.end(), 0);
        std::mt19937_64 rng(o.seed);
        for (int j = N - 1; j > 0; --j)   // Fisher-Yates by hand: std::shuffle's sequence is library-specific
            std::swap(perm[static_cast<size_t>(j)], perm[static_cast<size_t>(rng() % static_cast<uint64_t>(j + 1))]);
        for (int j = 0; j < N; ++j) rank[static_cast<size_t>(perm[static_cast<size_t>(j)])] = j;
    }
    while (static_cast<int>(curve.order.size()) < N) {
        if (o.order == PruneOrder::Importance)
            setRank(toVector(importance(m, data, maskNow(), o.normalizeByLayer, piece(kImportanceCost))));
        std::vector<int> alive;
        for (int j = 0; j < N; ++j)
            if (mask[static_cast<size_t>(j)] != 0.0f) alive.push_back(j);
        std::stable_sort(alive.begin(), alive.end(), [&](int a, int b) { return rank[static_cast<size_t>(a)] < rank[static_cast<size_t>(b)]; });
        for (int i = 0; i < perStep && i < static_cast<int>(alive.size()); ++i) {
            mask[static_cast<size_t>(alive[static_cast<size_t>(i)])] = 0.0f;
            curve.order.emplace_back(alive[static_cast<size_t>(i)] / c.nHead, alive[static_cast<size_t>(i)] % c.nHead);
        }
        record();
    }
    report(reported, 1.0);
    return curve;
}

} // namespace headlight
