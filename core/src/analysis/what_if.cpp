// Pruning what-ifs in the app: how a pruned run differs from the unpruned one, and the head-mask presets.
// Definitions: docs/pruning.md ("Comparing a pruned run").
#include "headlight/what_if.h"

#include "headlight/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {
namespace {

// Rows of [T,V] handled at once: bounds the temporaries (a few [rows,V] float tensors) for long texts and
// large vocabularies, e.g. 256 x 50257 floats = 51 MB each.
constexpr int64_t kRowsPerChunk = 256;

// A read-only view of a [T,V] array as a tensor (no copy; nothing writes through it).
torch::Tensor view2d(const FloatArray& a) {
    return torch::from_blob(const_cast<float*>(a.data()), {a.dim(0), a.dim(1)}, torch::kFloat);
}

// The k most probable tokens of each row of log-probabilities [R,V], most probable first, ties to the lower id.
void appendTop(const torch::Tensor& logProbs, int k, std::vector<std::vector<TopPrediction>>& out) {
    if (k == 0) {
        out.resize(out.size() + static_cast<size_t>(logProbs.size(0)));
        return;
    }
    const auto [values, ids] = torch::topk(logProbs, k, -1);   // [R,k]
    const auto p = values.exp().contiguous();
    const auto idx = ids.contiguous();
    const float* pp = p.data_ptr<float>();
    const int64_t* ip = idx.data_ptr<int64_t>();
    for (int64_t r = 0; r < logProbs.size(0); ++r) {
        std::vector<TopPrediction> row(static_cast<size_t>(k));
        for (int j = 0; j < k; ++j) row[static_cast<size_t>(j)] = {ip[r * k + j], pp[r * k + j]};
        std::stable_sort(row.begin(), row.end(), [](const TopPrediction& a, const TopPrediction& b) {
            return a.probability > b.probability || (a.probability == b.probability && a.id < b.id);
        });
        out.push_back(std::move(row));
    }
}

std::vector<float> checkedMask(const std::vector<float>& mask, size_t heads) {
    if (mask.empty()) return std::vector<float>(heads, 1.0f);
    if (mask.size() != heads)
        throw Error("head mask", "has " + std::to_string(mask.size()) + " values, expected " + std::to_string(heads) + " (one per head)");
    return mask;
}

// Head indices ordered by score, ties to the lower index; NaN scores go last when `ascending` (never chosen
// first for pruning) and last when descending too (the smallest for keeping).
std::vector<size_t> orderByScore(const FloatArray& scores, bool ascending) {
    std::vector<size_t> order(static_cast<size_t>(scores.size()));
    std::iota(order.begin(), order.end(), size_t{0});
    const float* s = scores.data();
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (std::isnan(s[a]) || std::isnan(s[b])) return !std::isnan(s[a]) && std::isnan(s[b]);
        return ascending ? s[a] < s[b] : s[a] > s[b];
    });
    return order;
}

// The [L,H] shape of a run's heads: its head mask's, else the largest captured layer and head.
std::pair<int64_t, int64_t> headShape(const Trace& t) {
    if (t.headMask.rank() == 2) return {t.headMask.dim(0), t.headMask.dim(1)};
    int64_t layers = 0, heads = 0;
    for (const LayerTrace& lt : t.layers) {
        layers = std::max<int64_t>(layers, lt.layer + 1);
        for (int h : lt.heads) heads = std::max<int64_t>(heads, h + 1);
    }
    return {layers, heads};
}

// Head h's [T,K] attention in a captured layer (K = T but for cross-attention), null when not captured at that size.
const float* capturedAttention(const LayerTrace* lt, int head, int64_t T, int64_t K) {
    if (!lt) return nullptr;
    const auto at = std::find(lt->heads.begin(), lt->heads.end(), head);
    const FloatArray& a = lt->attention;   // [h,T,K]
    if (at == lt->heads.end() || a.rank() != 3 || a.dim(0) != static_cast<int64_t>(lt->heads.size()) ||
        a.dim(1) != T || a.dim(2) != K)
        return nullptr;
    return a.data() + static_cast<int64_t>(at - lt->heads.begin()) * T * K;
}

// RunComparison::attentionChange: mean over queries of the total variation between the two runs' rows.
FloatArray attentionChangeOf(const Trace& before, const Trace& after) {
    const auto [L, H] = headShape(after);
    const int64_t T = static_cast<int64_t>(after.tokenIds.size());
    std::vector<float> change(static_cast<size_t>(L * H), std::numeric_limits<float>::quiet_NaN());
    for (int64_t l = 0; l < L && T > 0; ++l) {
        const LayerTrace* lb = before.layer(static_cast<int>(l));
        const LayerTrace* la = after.layer(static_cast<int>(l));
        if (!lb || !la || lb->attention.rank() != 3) continue;
        const int64_t Tq = lb->attention.dim(1), K = lb->attention.dim(2);   // the source's length for a row of an encoder
        for (int64_t h = 0; h < H; ++h) {
            const float* a = capturedAttention(lb, static_cast<int>(h), Tq, K);
            const float* b = capturedAttention(la, static_cast<int>(h), Tq, K);
            if (!a || !b) continue;
            double sum = 0;   // double: 4M cells at 2048 tokens
            for (int64_t k = 0; k < Tq * K; ++k) sum += std::abs(static_cast<double>(b[k]) - a[k]);
            change[static_cast<size_t>(l * H + h)] = static_cast<float>(0.5 * sum / static_cast<double>(Tq));
        }
    }
    return FloatArray({L, H}, std::move(change));
}

} // namespace

double meanLossOver(const Trace& trace, const std::vector<int>& predictions) {
    double sum = 0;
    int64_t n = 0;
    for (int i : predictions) {
        if (i < 0 || i >= trace.loss.size()) continue;
        sum += trace.loss.data()[i];
        ++n;
    }
    return n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

RunComparison compareRuns(const Trace& before, const Trace& after, int topK) {
    if (before.tokenIds != after.tokenIds) throw Error("run comparison", "the two runs have different tokens");
    if (before.logits.empty() || after.logits.empty()) throw Error("run comparison", "a run kept no logits (capture logits to compare)");
    if (before.logits.rank() != 2 || before.logits.shape() != after.logits.shape() ||
        before.logits.dim(0) != static_cast<int64_t>(before.tokenIds.size()))
        throw Error("run comparison", "logits " + before.logits.shapeString() + " and " + after.logits.shapeString() +
                                          " are not both [T,V] for " + std::to_string(before.tokenIds.size()) + " tokens");
    torch::NoGradGuard noGrad;
    const int64_t T = before.logits.dim(0), V = before.logits.dim(1);
    const int k = static_cast<int>(std::clamp<int64_t>(topK, 0, V));

    RunComparison out;
    out.lossBefore = before.meanLoss();
    out.lossAfter = after.meanLoss();
    out.perplexityBefore = std::exp(out.lossBefore);
    out.perplexityAfter = std::exp(out.lossAfter);
    out.kl.reserve(static_cast<size_t>(T));
    const auto a = view2d(before.logits), b = view2d(after.logits);   // [T,V]
    for (int64_t r0 = 0; r0 < T; r0 += kRowsPerChunk) {
        const int64_t rows = std::min(kRowsPerChunk, T - r0);
        const auto la = a.narrow(0, r0, rows), lb = b.narrow(0, r0, rows);   // [R,V]
        out.maxAbsLogitChange = std::max(out.maxAbsLogitChange, (lb - la).abs().max().item<double>());
        const auto lpBefore = torch::log_softmax(la, -1), lpAfter = torch::log_softmax(lb, -1);
        // KL(before || after) = sum_v p_before (log p_before - log p_after) >= 0; rounding can leave -1e-9.
        const auto kl = (lpBefore.exp() * (lpBefore - lpAfter)).sum(-1).clamp_min(0.0).contiguous();   // [R]
        out.kl.insert(out.kl.end(), kl.data_ptr<float>(), kl.data_ptr<float>() + rows);
        appendTop(lpBefore, k, out.topBefore);
        appendTop(lpAfter, k, out.topAfter);
    }
    out.attentionChange = attentionChangeOf(before, after);
    return out;
}

std::vector<float> closedGateMask(const FloatArray& gates) {
    std::vector<float> mask;
    mask.reserve(static_cast<size_t>(gates.size()));
    for (float g : gates) mask.push_back(g == 0.0f ? 0.0f : 1.0f);
    return mask;
}

std::vector<float> pruneLeastImportant(const FloatArray& scores, int k, const std::vector<float>& mask) {
    std::vector<float> out = checkedMask(mask, static_cast<size_t>(scores.size()));
    int pruned = 0;
    for (size_t j : orderByScore(scores, true)) {
        if (pruned >= k || std::isnan(scores.data()[j])) break;   // NaN sorts last: nothing after it qualifies
        if (out[j] == 0.0f) continue;
        out[j] = 0.0f;
        ++pruned;
    }
    return out;
}

std::vector<float> keepMostImportant(const FloatArray& scores, int k) {
    std::vector<float> out(static_cast<size_t>(scores.size()), 0.0f);
    const auto order = orderByScore(scores, false);
    for (size_t i = 0; i < order.size() && static_cast<int>(i) < k; ++i) out[order[i]] = 1.0f;
    return out;
}

int prunedHeadCount(const std::vector<float>& mask) {
    return static_cast<int>(std::count(mask.begin(), mask.end(), 0.0f));
}

} // namespace headlight
