// The attention matrix of a long text: the visible window in at most kMaxCells x kMaxCells cells, each the max
// or the mean of the weights it covers. A captured head is pooled from its exact matrix (so zooming in to a
// window of kMaxCells tokens or fewer shows the exact weights); a head the run only digested shows the pooled
// picture the engine made in the forward pass (its cells of `bin` tokens are the finest it has: a coarser
// picture than an exact head's, shown until the worker sends the head's exact matrix).
#include "attention_matrix_controller.h"

#include "view_support.h"

#include "headlight/attention_view.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight {
namespace {

struct Window {
    int row0, rows, col0, cols;
};

// The tokens the axes show now, whole tokens, inside [0, T).
Window visibleWindow(QCustomPlot* plot, int T) {
    auto span = [T](const QCPRange& r) {
        const int first = std::clamp(static_cast<int>(std::floor(r.lower + 0.5)), 0, T - 1);
        const int last = std::clamp(static_cast<int>(std::ceil(r.upper - 0.5)), first, T - 1);
        return std::pair<int, int>{first, last - first + 1};
    };
    const auto [row0, rows] = span(plot->yAxis->range());
    const auto [col0, cols] = span(plot->xAxis->range());
    return {row0, rows, col0, cols};
}

std::vector<int> floorEdges(int start, int n, int cells) {
    std::vector<int> edges(static_cast<size_t>(cells) + 1);
    for (int b = 0; b <= cells; ++b) edges[static_cast<size_t>(b)] = start + static_cast<int>(static_cast<int64_t>(b) * n / cells);
    return edges;
}

// Digest cells c0..c1 (inclusive) of `bin` tokens, as token edges clipped to T.
std::vector<int> digestEdges(int c0, int c1, int64_t bin, int T) {
    std::vector<int> edges;
    for (int c = c0; c <= c1 + 1; ++c) edges.push_back(static_cast<int>(std::min<int64_t>(c * bin, T)));
    return edges;
}

} // namespace

void AttentionMatrixController::fillPooled() {
    const int T = tokens_;
    const Window w = visibleWindow(plot_, T);
    const bool max = drawnPooling_ == MatrixPooling::Max && heads_.size() == 1;   // the mean of maxima is no max
    const Pooling pooling = max ? Pooling::Max : Pooling::Mean;
    // Exact heads pool their own matrices, except over the whole matrix when the run's digest (made in the
    // forward pass) has as many cells as that pooling would: the same picture without reading T x T weights on
    // this thread. Digests are sized for the head grid and a head's first moments (session.h, pooledCells), so
    // a long text's whole matrix usually has finer cells here than its digest.
    bool exact = true, digested = true;
    for (const HeadRef& h : heads_) {
        exact = exact && headAttention(*trace_, h, T);
        const LayerDigest* d = trace_->digest(h.layer);
        digested = digested && d && d->bin > 0 && d->pooledMax.rank() == 3 && h.head < d->pooledMax.dim(0);
    }
    const bool whole = w.rows == T && w.cols == T;
    const bool digestAsFine = digested && trace_->digest(heads_.front().layer)->pooledMax.dim(1) >= std::min(T, kMaxCells);
    cells_.clear();
    if (exact && !(whole && digestAsFine)) {
        const int R = std::min(w.rows, kMaxCells), C = std::min(w.cols, kMaxCells);
        rowEdges_ = floorEdges(w.row0, w.rows, R);
        colEdges_ = floorEdges(w.col0, w.cols, C);
        cells_.assign(static_cast<size_t>(R) * C, 0.0f);
        for (const HeadRef& h : heads_) {
            const FloatArray p = pooledAttention(*trace_->layer(h.layer), h.head, {w.row0, w.rows, w.col0, w.cols}, R, C, pooling);
            for (size_t i = 0; i < cells_.size(); ++i) cells_[i] += p.data()[i] / static_cast<float>(heads_.size());
        }
        exactCells_ = w.rows <= kMaxCells && w.cols <= kMaxCells;
    } else {
        const LayerDigest& first = *trace_->digest(heads_.front().layer);
        const int64_t bin = first.bin;
        const int r0 = static_cast<int>(w.row0 / bin), r1 = static_cast<int>((w.row0 + w.rows - 1) / bin);
        const int c0 = static_cast<int>(w.col0 / bin), c1 = static_cast<int>((w.col0 + w.cols - 1) / bin);
        rowEdges_ = digestEdges(r0, r1, bin, T);
        colEdges_ = digestEdges(c0, c1, bin, T);
        const int R = r1 - r0 + 1, C = c1 - c0 + 1;
        cells_.assign(static_cast<size_t>(R) * C, 0.0f);
        for (const HeadRef& h : heads_) {
            const LayerDigest& d = *trace_->digest(h.layer);
            const FloatArray& image = max ? d.pooledMax : d.pooledMean;
            const int64_t side = image.dim(1);
            const float* a = image.data() + h.head * side * side;
            for (int r = 0; r < R; ++r)
                for (int c = 0; c < C; ++c)
                    cells_[static_cast<size_t>(r) * C + c] += a[(r0 + r) * side + c0 + c] / static_cast<float>(heads_.size());
        }
        exactCells_ = bin == 1;
    }
    const int R = static_cast<int>(rowEdges_.size()) - 1, C = static_cast<int>(colEdges_.size()) - 1;
    const int cellRows = (rowEdges_.back() - rowEdges_.front() + R - 1) / R, cellCols = (colEdges_.back() - colEdges_.front() + C - 1) / C;
    cellNote_ = exactCells_ ? QString()
                            : QObject::tr("cells of %1 x %2 tokens, %3").arg(cellRows).arg(cellCols).arg(max ? QObject::tr("max") : QObject::tr("mean"));
    if (!exact && !exactCells_) cellNote_ += QObject::tr("; exact weights once this head is captured");

    // One colour-map cell per pooled cell, centred on the tokens it covers.
    map_->data()->setSize(C == 1 ? 2 : C, R == 1 ? 2 : R);
    auto centre = [](const std::vector<int>& e, int i) { return (e[static_cast<size_t>(i)] + e[static_cast<size_t>(i) + 1] - 1) / 2.0; };
    map_->data()->setRange(C == 1 ? QCPRange(centre(colEdges_, 0) - 0.25, centre(colEdges_, 0) + 0.25) : QCPRange(centre(colEdges_, 0), centre(colEdges_, C - 1)),
                           R == 1 ? QCPRange(centre(rowEdges_, 0) - 0.25, centre(rowEdges_, 0) + 0.25) : QCPRange(centre(rowEdges_, 0), centre(rowEdges_, R - 1)));
    putCells(cells_, R, C, drawnScale_);
}

void AttentionMatrixController::repool() {
    if (!pooled_ || !trace_ || repooling_) return;
    repooling_ = true;   // fillPooled never moves the axes, but a replot in between must not recurse
    fillPooled();
    repooling_ = false;
}

std::optional<AttentionMatrixController::CellSpan> AttentionMatrixController::cellSpan(int query, int key) const {
    if (!pooled_) {
        if (query < 0 || key < 0 || query >= tokens_ || key >= tokens_) return std::nullopt;
        return CellSpan{query, query + 1, key, key + 1};
    }
    if (rowEdges_.size() < 2 || colEdges_.size() < 2 || query < rowEdges_.front() || query >= rowEdges_.back() ||
        key < colEdges_.front() || key >= colEdges_.back())
        return std::nullopt;
    const auto r = static_cast<size_t>(std::upper_bound(rowEdges_.begin(), rowEdges_.end(), query) - rowEdges_.begin() - 1);
    const auto c = static_cast<size_t>(std::upper_bound(colEdges_.begin(), colEdges_.end(), key) - colEdges_.begin() - 1);
    return CellSpan{rowEdges_[r], rowEdges_[r + 1], colEdges_[c], colEdges_[c + 1]};
}

} // namespace headlight
