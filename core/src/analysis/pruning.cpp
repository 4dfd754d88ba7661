// Pruning what-ifs on the model's own forward pass: head importance (gradient of the loss with respect to a
// head mask), single-head ablation with heads on the batch axis (each layer's heads run from that layer's
// recorded input), and pruning curves. docs/pruning.md.
#include "headlight/pruning.h"

#include "analysis/pruning_batches.h"
#include "engine/loaded_model.h"
#include "mechanisms/head_gates.h"
#include "model/transformer.h"
#include "headlight/error.h"
#include "nn/torch_bridge.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <torch/autograd.h>

namespace headlight {
namespace {

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

// Masks that fit one forward pass over batch `b` (rows are (mask, example) pairs). Without gradients only one
// layer's activations live at a time, so a pass that starts at a later layer needs the same room per row.
int64_t masksPerForward(const EngineModel& m, const PruningBatch& b) {
    return std::max<int64_t>(1, floatBudget(m.device) / rowCost(m.config(), b.ids.size(1), false) / b.ids.size(0));
}

// Scores of M masks [M,L,H] on every example: rows are (mask, example) pairs, as many per forward as fit.
std::vector<MaskedScore> scoreMasks(const EngineModel& m, const std::vector<PruningBatch>& batches, const torch::Tensor& masks,
                                    const AnalysisProgress& progress = {}) {
    torch::NoGradGuard noGrad;
    const int64_t M = masks.size(0);   // masks [M,rows,H]
    auto lossSum = torch::zeros({M}, torch::TensorOptions().dtype(torch::kDouble).device(m.device));
    auto hitSum = torch::zeros({M}, lossSum.options());
    int64_t forwards = 0, forwardsDone = 0;
    for (const auto& b : batches) forwards += (M + masksPerForward(m, b) - 1) / masksPerForward(m, b);
    double scoredTotal = 0, examples = 0;
    for (const auto& b : batches) {
        const int64_t Bx = b.ids.size(0);
        const int64_t k = masksPerForward(m, b);
        for (int64_t j0 = 0; j0 < M; j0 += k) {
            const int64_t kk = std::min(k, M - j0);
            auto mask = masks.narrow(0, j0, kk).repeat_interleave(Bx, 0);          // [kk*Bx,rows,H], row j*Bx+b
            auto ids = b.ids.repeat({kk, 1});                                     // [kk*Bx,T]
            auto sources = b.sources.defined() ? b.sources.repeat({kk, 1}) : b.sources;
            auto [loss, hits] = rowStats(m.logits(sources, ids, mask), b.targets.repeat({kk, 1}));
            lossSum.narrow(0, j0, kk).add_(loss.view({kk, Bx}).sum(1).to(torch::kDouble));
            hitSum.narrow(0, j0, kk).add_(hits.view({kk, Bx}).sum(1).to(torch::kDouble));
            report(progress, static_cast<double>(++forwardsDone) / static_cast<double>(forwards));
        }
        scoredTotal += scoredCount(b);
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
    const ModelConfig& c = m.config();
    auto sum = torch::zeros({m.rows(), c.nHead}, torch::TensorOptions().dtype(torch::kDouble).device(m.device));
    const auto batches = makeBatches(data, c, m.device, true);
    for (size_t n = 0; n < batches.size(); ++n) {
        const PruningBatch& b = batches[n];
        // One mask copy per example: L(x) depends only on its own row, so the gradient of the sum of the
        // per-example losses with respect to row x is exactly dL(x)/dxi, and |.| can be taken per example.
        auto xi = base.unsqueeze(0).repeat({b.ids.size(0), 1, 1}).requires_grad_(true);   // [B,rows,H]
        auto loss = rowStats(m.logits(b, xi), b.targets).first;                  // [B]
        auto g = torch::autograd::grad({loss.sum()}, {xi})[0];                   // [B,rows,H]
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

// The heads of `base` [L,H] still kept, by layer: ablating a pruned head again changes nothing (delta 0).
std::vector<std::vector<int64_t>> keptHeads(const torch::Tensor& base) {
    const auto values = toVector(base);
    const int64_t L = base.size(0), H = base.size(1);
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(L));
    for (int64_t l = 0; l < L; ++l)
        for (int64_t h = 0; h < H; ++h)
            if (values[static_cast<size_t>(l * H + h)] != 0.0f) out[static_cast<size_t>(l)].push_back(h);
    return out;
}

// Work of an ablation per example, in example rows times layers run (the output head counts as one layer):
// the base pass, plus per kept head of layer l the layers l..L-1 and the head.
int64_t ablationLayersRun(const std::vector<std::vector<int64_t>>& kept) {
    const auto L = static_cast<int64_t>(kept.size());
    int64_t layersRun = L + 1;
    for (int64_t l = 0; l < L; ++l) layersRun += static_cast<int64_t>(kept[static_cast<size_t>(l)].size()) * (L - l + 1);
    return layersRun;
}

// The same in units of one full scoring pass over the data: about 1 + H (L + 2) / 2 with every head kept.
double ablationCost(const EngineModel& m, const torch::Tensor& base) {
    if (!m.model) {   // ablateByFullPasses: one scoring pass per kept head, and the base
        const auto kept = keptHeads(base);
        double passes = 1;
        for (const auto& row : kept) passes += static_cast<double>(row.size());
        return passes;
    }
    return static_cast<double>(ablationLayersRun(keptHeads(base))) / static_cast<double>(base.size(0) + 1);
}

// Every kept head of `base` [rows,H] zeroed alone, one full pass per mask: an encoder-decoder model's heads of
// the encoder change the whole decoder, and its decoder's layers start from the encoder's output.
Ablation ablateByFullPasses(const EngineModel& m, const std::vector<PruningBatch>& batches, const torch::Tensor& base,
                            const AnalysisProgress& progress) {
    const int64_t R = base.size(0), H = base.size(1);
    const auto kept = keptHeads(base);
    std::vector<int64_t> heads;   // j = row*H + head of every kept head
    for (int64_t r = 0; r < R; ++r)
        for (int64_t h : kept[static_cast<size_t>(r)]) heads.push_back(r * H + h);
    auto masks = base.reshape({1, R * H}).repeat({static_cast<int64_t>(heads.size()) + 1, 1});   // the last: base
    for (size_t k = 0; k < heads.size(); ++k) masks[static_cast<int64_t>(k)][heads[k]] = 0.0f;
    const auto scores = scoreMasks(m, batches, masks.view({-1, R, H}), progress);
    Ablation out;
    out.baseline = scores.back();
    std::vector<float> dLoss(static_cast<size_t>(R * H), 0.0f), dMetric(static_cast<size_t>(R * H), 0.0f);   // pruned: exactly 0
    for (size_t k = 0; k < heads.size(); ++k) {
        dLoss[static_cast<size_t>(heads[k])] = static_cast<float>(scores[k].loss - out.baseline.loss);
        dMetric[static_cast<size_t>(heads[k])] = static_cast<float>(scores[k].metric - out.baseline.metric);
    }
    out.deltaLoss = FloatArray({R, H}, std::move(dLoss));
    out.deltaMetric = FloatArray({R, H}, std::move(dMetric));
    return out;
}

// Every kept head of `base` [L,H] zeroed alone, scored against `base` itself. Zeroing a head of layer l changes
// nothing before layer l, so per batch of examples one pass under `base` records the residual input x_l of every
// layer (and scores the baseline); then the masks of layer l run layers l..L-1 only, from x_l repeated for the
// heads. The same operations on the same inputs as one full pass per mask.
Ablation ablate(const EngineModel& m, const std::vector<PruningBatch>& batches, const torch::Tensor& base, const AnalysisProgress& progress) {
    if (!m.model) return ablateByFullPasses(m, batches, base, progress);
    torch::NoGradGuard noGrad;
    const ModelConfig& c = m.model->config();
    const int64_t L = c.nLayer, H = c.nHead;
    const auto kept = keptHeads(base);
    // Mask j = l*H + h: base with head (l, h) also zeroed, [L*H,L,H]. The full mask goes to every pass, though
    // the rows of layers before the first one run are never read.
    auto masks = base.reshape({1, L * H}).repeat({L * H, 1});
    masks = (masks * (1 - torch::eye(L * H, masks.options()))).view({L * H, L, H});
    const int64_t baseIndex = L * H;   // the baseline's slot in the sums below
    auto lossSum = torch::zeros({L * H + 1}, torch::TensorOptions().dtype(torch::kDouble).device(m.device));
    auto hitSum = torch::zeros({L * H + 1}, lossSum.options());
    auto add = [&](const torch::Tensor& index, const torch::Tensor& logits, const PruningBatch& b, int64_t kk) {   // kk masks x Bx
        auto [loss, hits] = rowStats(logits, b.targets.repeat({kk, 1}));   // [kk*Bx] each
        const int64_t Bx = b.ids.size(0);
        lossSum.index_add_(0, index, loss.view({kk, Bx}).sum(1).to(torch::kDouble));
        hitSum.index_add_(0, index, hits.view({kk, Bx}).sum(1).to(torch::kDouble));
    };

    // Progress in example rows times layers run; the last pass brings `work` to `totalWork` exactly.
    int64_t totalWork = 0, work = 0;
    for (const auto& b : batches) totalWork += b.ids.size(0) * ablationLayersRun(kept);
    auto advance = [&](int64_t rows, int64_t firstLayer) {
        work += rows * (L - firstLayer + 1);
        report(progress, static_cast<double>(work) / static_cast<double>(totalWork));
    };

    double scoredTotal = 0, examples = 0;
    for (const auto& b : batches) {
        const int64_t Bx = b.ids.size(0);
        std::vector<torch::Tensor> residuals(static_cast<size_t>(L + 1));   // x_l [Bx,T,D]
        ForwardOptions options;
        options.headMask = base.unsqueeze(0).expand({Bx, L, H});
        add(torch::full({1}, baseIndex, torch::TensorOptions().dtype(torch::kLong).device(m.device)),
            m.model->forwardFrom(0, m.model->embed(b.ids), options, &residuals).logits, b, 1);
        advance(Bx, 0);
        const int64_t k = masksPerForward(m, b);
        for (int64_t l = 0; l < L; ++l) {
            const auto& heads = kept[static_cast<size_t>(l)];
            for (size_t i0 = 0; i0 < heads.size(); i0 += static_cast<size_t>(k)) {
                const auto kk = std::min<int64_t>(k, static_cast<int64_t>(heads.size() - i0));
                std::vector<int64_t> js;
                for (int64_t i = 0; i < kk; ++i) js.push_back(l * H + heads[i0 + static_cast<size_t>(i)]);
                const auto index = torch::tensor(js, torch::kLong).to(m.device);                 // [kk]
                options.headMask = masks.index_select(0, index).repeat_interleave(Bx, 0);         // [kk*Bx,L,H], row j*Bx+b
                auto x = residuals[static_cast<size_t>(l)].repeat({kk, 1, 1});                   // [kk*Bx,T,D]
                add(index, m.model->forwardFrom(static_cast<int>(l), x, options).logits, b, kk);
                advance(kk * Bx, l);
            }
            residuals[static_cast<size_t>(l)] = torch::Tensor();   // x_l is done with
        }
        scoredTotal += scoredCount(b);
        examples += static_cast<double>(Bx);
    }

    lossSum = lossSum.cpu();
    hitSum = hitSum.cpu();
    auto score = [&](int64_t j) {
        MaskedScore s;
        s.loss = lossSum[j].item<double>() / examples;
        s.metric = scoredTotal > 0 ? hitSum[j].item<double>() / scoredTotal : NAN;
        return s;
    };
    Ablation out;
    out.baseline = score(baseIndex);
    std::vector<float> dLoss(static_cast<size_t>(L * H), 0.0f), dMetric(static_cast<size_t>(L * H), 0.0f);   // pruned: exactly 0
    for (int64_t l = 0; l < L; ++l)
        for (int64_t h : kept[static_cast<size_t>(l)]) {
            const MaskedScore s = score(l * H + h);
            dLoss[static_cast<size_t>(l * H + h)] = static_cast<float>(s.loss - out.baseline.loss);
            dMetric[static_cast<size_t>(l * H + h)] = static_cast<float>(s.metric - out.baseline.metric);
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
    // Gates do not depend on the input: read from the model itself (a run would replace the engine's kept run).
    torch::NoGradGuard noGrad;
    if (!engine.loaded().model) return {};   // an encoder-decoder model has no head gates
    return gateGrid(engine.loaded().model->mechanismHost());
}

PruningCurve pruningCurve(const Engine& engine, const ExampleSet& data, const CurveOptions& o, const AnalysisProgress& progress) {
    const ModelConfig& c = engine.config();
    const EngineModel m = engineModel(engine);
    const int rows = static_cast<int>(m.rows());   // an encoder-decoder model: its three kinds' layers
    const int N = rows * c.nHead;
    if (!(o.stepPercent > 0 && o.stepPercent <= 100)) throw Error("--step-percent", "must lie in (0, 100]");
    if (o.order == PruneOrder::Gate && !c.mechanism<HeadGatesConfig>()) throw Error("--order", "gate needs a model with head gates");
    const auto batches = makeBatches(data, c, m.device, false);
    std::vector<float> mask = toVector(maskTensor(o.headMask, c, m.device));
    const int perStep = std::max(1, static_cast<int>(std::lround(o.stepPercent / 100.0 * N)));

    auto maskNow = [&]() { return torch::tensor(mask).view({rows, c.nHead}).to(m.device); };   // [rows,H]

    // Progress over the whole curve, in units of one scoring pass over the data: importance costs about three
    // (forward and backward), ablation about 1 + H (L + 2) / 2 (ablationCost).
    const auto reported = monotone(progress);
    const auto alive0 = static_cast<int>(std::count_if(mask.begin(), mask.end(), [](float v) { return v != 0.0f; }));
    const int pruneSteps = (alive0 + perStep - 1) / perStep;
    constexpr double kImportanceCost = 3;
    double total = 1 + pruneSteps, done = 0;
    if (o.order == PruneOrder::ImportanceOnce) total += kImportanceCost;
    if (o.order == PruneOrder::Importance) total += kImportanceCost * pruneSteps;
    const double ablationUnits = o.order == PruneOrder::Ablation ? ablationCost(m, maskNow()) : 0;
    total += ablationUnits;
    auto piece = [&](double cost) {   // the next `cost` units of the curve
        auto p = part(reported, done / total, (done + cost) / total);
        done += cost;
        return p;
    };

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
    if (o.order == PruneOrder::Ablation) setRank(ablate(m, batches, maskNow(), piece(ablationUnits)).deltaLoss.toVector());
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
