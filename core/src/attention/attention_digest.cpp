// Every head digested block by block: the four statistics as sums over query rows (divided by T when the
// layer is exported) and the pooled images as running maxima and sums over square cells of `bin` tokens.
#include "attention/attention_digest.h"
#include "attention/recycled_pictures.h"

#include "headlight/error.h"
#include "headlight/trace.h"

#include <algorithm>

namespace headlight {

AttentionDigest::AttentionDigest(const KeepAttention& keep, int64_t heads, int64_t tokens, const torch::Device& device, Path path,
                                 bool causal)
    : path_(path), causal_(causal), stats_(keep.stats), H_(heads), T_(tokens) {
    const auto f64 = torch::TensorOptions().dtype(torch::kDouble).device(device);
    if (stats_) sums_ = torch::zeros({H_, 4}, f64);
    if (keep.pooledSize > 0) {
        bin_ = pooledBin(T_, keep.pooledSize);
        cells_ = (T_ + bin_ - 1) / bin_;
        max_ = zeroedPicture(H_, cells_, device);
        // Cells of one token: the mean is the max. A cell's sum is of at most bin^2 weights, each in [0, 1]: float
        // keeps it to within a few units in the 7th digit, and the sums become the means in place.
        if (bin_ > 1) sum_ = zeroedPicture(H_, cells_, device);
    }
}

void AttentionDigest::add(const torch::Tensor& probs, int64_t row0, int64_t col0) {
    const bool onePass = path_ == Path::OnePass ||
                         (path_ == Path::Auto && probs.device().is_cpu() && probs.scalar_type() == torch::kFloat);
    if (onePass) {
        addOnePass(probs.to(torch::kCPU, torch::kFloat).contiguous(), row0, col0);
        return;
    }
    torch::Tensor rowMax;   // [H,n]: from the pooled columns when there are any (one pass over probs fewer)
    if (bin_ > 0) rowMax = addPooled(probs, row0, col0);
    if (stats_) addStats(probs, row0, col0, rowMax.defined() ? rowMax : probs.amax(-1));
}

void AttentionDigest::addStats(const torch::Tensor& probs, int64_t row0, int64_t col0, const torch::Tensor& maxWeight) {
    const int64_t n = probs.size(1), keys = probs.size(2);
    const auto entropy = -torch::xlogy(probs, probs).sum(-1);                       // [H,n]; 0 ln 0 = 0
    // sum_j p_ij |i - j| without a [n,keys] product: keys before the block's rows are all behind every query
    // (i - j), keys after them all ahead (j - i): one matrix-vector product each gives sum_j p_ij and
    // sum_j p_ij j there. Only the n x n square on the diagonal needs |i - j| cell by cell.
    const auto opts = torch::TensorOptions().dtype(probs.scalar_type()).device(probs.device());
    const auto rows = torch::arange(row0, row0 + n, opts);                        // [n] i
    auto meanDistance = torch::zeros_like(entropy);
    auto side = [&](int64_t from, int64_t to, double sign) {   // keys [from, to) of the block, all on one side
        if (to <= from) return;
        const auto moments = torch::stack({torch::ones({to - from}, opts), torch::arange(from, to, opts)}, 1);   // [k,2]
        const auto m = torch::matmul(probs.narrow(2, from - col0, to - from), moments);                         // [H,n,2]
        meanDistance.add_((rows * m.select(2, 0) - m.select(2, 1)) * sign);
    };
    const int64_t diagFrom = std::max(row0, col0), diagTo = std::min(row0 + n, col0 + keys);
    side(col0, std::min(diagFrom, col0 + keys), 1.0);
    side(std::max(diagTo, col0), col0 + keys, -1.0);
    if (diagTo > diagFrom) {
        const auto distance = (rows.unsqueeze(1) - torch::arange(diagFrom, diagTo, opts).unsqueeze(0)).abs_();   // [n,w]
        meanDistance.add_((probs.narrow(2, diagFrom - col0, diagTo - diagFrom) * distance).sum(-1));
    }
    const auto first = col0 == 0 ? probs.select(2, 0) : torch::zeros_like(maxWeight);   // p_i0, hidden when col0 > 0
    sums_ += torch::stack({entropy.sum(-1), maxWeight.sum(-1), meanDistance.sum(-1), first.sum(-1)}, 1).to(torch::kDouble);
}

torch::Tensor AttentionDigest::addPooled(const torch::Tensor& probs, int64_t row0, int64_t col0) {
    const int64_t n = probs.size(1), keys = probs.size(2);
    if (bin_ == 1) {   // nothing to pool: every cell is one probability, visited once
        max_.narrow(1, row0, n).narrow(2, col0, keys).copy_(probs);
        return {};
    }
    // Columns: pad the block's keys out to whole cells (the padding is hidden keys, 0), then reduce each cell.
    const int64_t c0 = col0 / bin_, c1 = (col0 + keys + bin_ - 1) / bin_, nc = c1 - c0;
    const int64_t left = col0 - c0 * bin_, right = c1 * bin_ - (col0 + keys);
    const auto padded = left > 0 || right > 0 ? torch::constant_pad_nd(probs, {left, right}, 0) : probs;
    const auto cellsOfRow = padded.reshape({H_, n, nc, bin_});
    const auto colMax = cellsOfRow.amax(-1);                                       // [H,n,nc]
    const auto colSum = cellsOfRow.sum(-1);
    // Rows: whole cells at once when the block starts and ends on cell edges, else cell by cell.
    if (row0 % bin_ == 0 && n % bin_ == 0) {
        auto dstMax = max_.narrow(1, row0 / bin_, n / bin_).narrow(2, c0, nc);
        dstMax.copy_(torch::maximum(dstMax, colMax.reshape({H_, n / bin_, bin_, nc}).amax(2)));
        sum_.narrow(1, row0 / bin_, n / bin_).narrow(2, c0, nc).add_(colSum.reshape({H_, n / bin_, bin_, nc}).sum(2));
        return colMax.amax(-1);
    }
    for (int64_t r = row0 / bin_; r * bin_ < row0 + n; ++r) {
        const int64_t a = std::max(r * bin_, row0) - row0, b = std::min((r + 1) * bin_, row0 + n) - row0;
        auto dstMax = max_.select(1, r).narrow(1, c0, nc);
        dstMax.copy_(torch::maximum(dstMax, colMax.narrow(1, a, b - a).amax(1)));
        sum_.select(1, r).narrow(1, c0, nc).add_(colSum.narrow(1, a, b - a).sum(1));
    }
    return colMax.amax(-1);   // each row's largest weight: the largest of its cells'
}

void AttentionDigest::finish(LayerCapture& out) {
    if (stats_) out.statSums = sums_;
    if (bin_ == 0) return;
    out.pooledBin = bin_;
    out.pooledMax = max_;
    if (bin_ == 1) {   // one picture, both names: a cell's max and mean are its one weight
        out.pooledMean = max_;
        return;
    }
    // Cells in the last row or column cover fewer tokens when bin does not divide T.
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(sum_.device());
    const auto width = torch::clamp_max(T_ - torch::arange(cells_, f32) * static_cast<float>(bin_), static_cast<float>(bin_));
    out.pooledMean = sum_.div_(width.unsqueeze(1) * width.unsqueeze(0));   // in place: no second [H,C,C]
}

} // namespace headlight
