// attend() without gradients, in blocks of queries: each block of rows meets only the keys its queries may
// see (causal: the keys up to its last query; sliding window: from its first query's window on), and the
// mechanisms' hooks run on the block, so the work
// above the diagonal is never done, masks cover the block's own corners only, there is one softmax, and no
// [H,T,T] tensor exists unless it was asked for. The same arithmetic as attendExplicit row by row: a hidden
// key contributes exp(-inf) = 0 there and is absent here.
#include "attention/attention.h"
#include "attention/attention_digest.h"
#include "attention/role_digest.h"
#include "headlight/error.h"

#include "nn/layers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace headlight {
namespace {

// Rows per block: the block's logits ([B,H,rows,T] floats) stay near this many bytes, so they are still in
// cache when the softmax and the product with v read them again.
constexpr int64_t kBlockBytes = 4 << 20;

int64_t defaultBlockRows(int64_t B, int64_t H, int64_t T, int64_t S) {
    const int64_t perRow = std::max<int64_t>(1, B * H * S * static_cast<int64_t>(sizeof(float)));
    int64_t rows = 16;
    while (rows * 2 * perRow <= kBlockBytes && rows < 512) rows *= 2;
    return std::min(rows, T);
}

} // namespace

AttentionOutput attendBlocked(const ModelConfig& config, const AttentionSpec& spec, const MechanismTensors& tensors,
                              const torch::Tensor& q, const torch::Tensor& kvK, const torch::Tensor& kvV,
                              const torch::Tensor& gates, const torch::Tensor& headMask, const KeepAttention& keep,
                              int64_t blockRows) {
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3), S = kvK.size(2);
    if (S != T && (spec.causal || spec.window > 0)) throw Error("attention", "cross-attention is neither causal nor windowed");
    const double scale = spec.scale > 0 ? spec.scale : 1.0 / std::sqrt(static_cast<double>(d));
    const int64_t group = H / kvK.size(1);
    // Products in spec.productType when that is a reduced dtype (nn/layers.h); logits and softmax in q's dtype.
    const auto pt = spec.productType;
    const auto k = inProductType(group == 1 ? kvK : kvK.repeat_interleave(group, 1), pt);   // [B,H,S,d]
    const auto v = inProductType(group == 1 ? kvV : kvV.repeat_interleave(group, 1), pt);
    const auto scaledQ = q * scale;                                        // the hooks' (memory keys) in q's dtype
    const auto productQ = inProductType(scaledQ, pt);
    const bool windowed = spec.window > 0 && spec.window < T;
    const float minusInf = -std::numeric_limits<float>::infinity();
    const auto longOpts = torch::TensorOptions().dtype(torch::kLong).device(q.device());
    const auto mechanisms = mechanismsOf(config);

    const int64_t rows = blockRows > 0 ? std::min(blockRows, T) : defaultBlockRows(B, H, T, S);
    AttentionOutput out;
    torch::Tensor keptHeads;
    if (keep.keep) {
        const int64_t h = keep.heads.empty() ? H : static_cast<int64_t>(keep.heads.size());
        // Every cell is written block by block below (the hidden keys' as exact zeros): no zero fill first, which
        // would be one more pass over fresh memory as large as every head's [T,S].
        out.capture.attention = torch::empty({B, h, T, S}, q.options());
        if (!keep.heads.empty()) keptHeads = torch::tensor(keep.heads, torch::kLong).to(q.device());
    }
    if (keep.digests() && B != 1) throw Error("capture", "head digests need a batch of one sequence");
    if (keep.digests() && S != T) throw Error("capture", "head digests describe self-attention only");
    std::optional<AttentionDigest> digest;
    if (keep.attentionDigests()) digest.emplace(keep, H, T, q.device(), AttentionDigest::Path::Auto, spec.causal);
    std::optional<RoleDigest> roles;
    if (keep.roles) roles.emplace(*keep.roles, H);
    // Written block by block in [B,T,H,d], the layout the model merges heads from: the final view is free.
    auto merged = torch::empty({B, T, H, d}, q.options());
    torch::Tensor extraProbs;                 // [B,H,T,N] assembled block by block, when a mechanism added keys
    const char* extraKeysName = nullptr;

    for (int64_t i0 = 0; i0 < T; i0 += rows) {
        const int64_t n = std::min(rows, T - i0);
        const int64_t keyEnd = spec.causal ? i0 + n : S;
        // Not narrowed to an adaptive span's reach: the span renormalises over every key's softmax weight (with a
        // 1e-8 guard), so leaving out keys it zeroes would change the result where little weight lies near.
        const int64_t keyStart = windowed ? std::max<int64_t>(0, i0 - spec.window + 1) : 0;
        const int64_t keys = keyEnd - keyStart;
        // The hooks see this block as if it were the whole matrix, placed by row0 / col0.
        AttentionStep step(config, tensors);
        step.row0 = i0;
        step.col0 = keyStart;
        step.gates = gates;
        step.scaledQ = scaledQ.narrow(2, i0, n);
        step.logits = torch::matmul(productQ.narrow(2, i0, n), k.narrow(2, keyStart, keys).transpose(-2, -1)).to(q.scalar_type());   // [B,H,n,keys]
        if (spec.bias.defined())
            step.logits = step.logits + spec.bias.narrow(2, i0, n).narrow(3, keyStart, keys);
        if (spec.softcap > 0) step.logits = torch::tanh(step.logits / spec.softcap) * spec.softcap;
        scoreHooks(mechanisms, step, [&](torch::Tensor& logits) {
            // Causal: keys after a query lie in the block's last n columns; window: keys too far back in its first n.
            if (spec.causal) {
                auto corner = logits.narrow(-1, keys - n, n);
                corner.masked_fill_(torch::ones({n, n}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).triu(1), minusInf);
            }
            if (windowed) {
                const int64_t w = std::min(n, keys);
                auto queryPos = torch::arange(i0, i0 + n, longOpts).unsqueeze(1);
                auto keyPos = torch::arange(keyStart, keyStart + w, longOpts).unsqueeze(0);
                logits.narrow(-1, 0, w).masked_fill_(keyPos <= queryPos - spec.window, minusInf);
            }
        });
        // Hooks that work in row blocks capture nothing of the whole matrix (Mechanism::worksInRowBlocks).
        if (!step.captures.empty()) throw Error("attention", "a mechanism captured a whole matrix in row blocks");
        if (digest) digest->add(step.probs.select(0, 0), i0, keyStart);
        if (roles) roles->add(step.probs.select(0, 0), i0, keyStart);
        auto blockOutput = torch::matmul(inProductType(step.probs, pt), v.narrow(2, keyStart, keys)).to(q.scalar_type());   // [B,H,n,d]
        if (step.extraProbs.defined()) {
            if (!extraProbs.defined()) extraProbs = torch::empty({B, H, T, step.extraProbs.size(-1)}, q.options());
            extraProbs.narrow(2, i0, n).copy_(step.extraProbs);
            blockOutput = blockOutput + torch::matmul(step.extraProbs, step.extraValues);
            extraKeysName = step.extraKeysName;
        }
        merged.narrow(1, i0, n).copy_(blockOutput.transpose(1, 2));
        if (keep.keep) {
            auto rowsKept = out.capture.attention.narrow(2, i0, n);
            rowsKept.narrow(3, keyStart, keys).copy_(keptHeads.defined() ? step.probs.index_select(1, keptHeads) : step.probs);
            if (keyStart > 0) rowsKept.narrow(3, 0, keyStart).zero_();                        // behind a window
            if (keyEnd < S) rowsKept.narrow(3, keyEnd, S - keyEnd).zero_();                   // after a causal block
        }
    }

    if (digest) digest->finish(out.capture);
    if (roles) roles->finish(out.capture);
    if (extraProbs.defined() && extraKeysName) out.capture.named[extraKeysName] = extraProbs;
    AttentionStep step(config, tensors);
    step.gates = gates;
    step.headMask = headMask;
    step.headOutput = merged.transpose(1, 2);                                // [B,H,T,d]
    outputHooks(mechanisms, step);
    out.output = step.headOutput;
    return out;
}

} // namespace headlight
