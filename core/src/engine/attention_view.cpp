#include "headlight/attention_view.h"

#include "headlight/error.h"

#include <algorithm>
#include <string>
#include <vector>

namespace headlight {
namespace {

struct Region {
    int64_t T, row0, rows, col0, cols;
};

Region resolve(const FloatArray& head, const AttentionWindow& w) {
    const int64_t T = head.dim(0);
    Region r{T, w.row0, w.rows < 0 ? T - w.row0 : w.rows, w.col0, w.cols < 0 ? T - w.col0 : w.cols};
    if (r.row0 < 0 || r.col0 < 0 || r.rows <= 0 || r.cols <= 0 || r.row0 + r.rows > T || r.col0 + r.cols > T)
        throw Error("attention window", "rows " + std::to_string(w.row0) + "+" + std::to_string(w.rows) + ", columns " +
                                            std::to_string(w.col0) + "+" + std::to_string(w.cols) + " do not lie in a " +
                                            std::to_string(T) + " x " + std::to_string(T) + " matrix");
    return r;
}

// Start of each of `out` bins over `n` items, plus n at the end.
std::vector<int64_t> binEdges(int64_t n, int64_t out) {
    std::vector<int64_t> edges(static_cast<size_t>(out) + 1);
    for (int64_t b = 0; b <= out; ++b) edges[static_cast<size_t>(b)] = b * n / out;
    return edges;
}

} // namespace

FloatArray headAttention(const LayerTrace& layer, int head) {
    const auto it = std::find(layer.heads.begin(), layer.heads.end(), head);
    if (it == layer.heads.end() || layer.attention.rank() != 3)
        throw Error("attention", "layer " + std::to_string(layer.layer) + " did not capture head " + std::to_string(head));
    const int64_t T = layer.attention.dim(1);
    const int64_t index = it - layer.heads.begin();
    // Aliases the layer's storage; the copy of the array (shared storage) keeps it alive.
    auto owner = std::make_shared<FloatArray>(layer.attention);
    std::shared_ptr<const float> data(owner, owner->data() + index * T * T);
    return FloatArray({T, T}, std::move(data));
}

FloatArray attentionWindow(const LayerTrace& layer, int head, const AttentionWindow& window) {
    const FloatArray m = headAttention(layer, head);
    const Region r = resolve(m, window);
    std::vector<float> values(static_cast<size_t>(r.rows * r.cols));
    for (int64_t i = 0; i < r.rows; ++i)
        std::copy_n(m.data() + (r.row0 + i) * r.T + r.col0, r.cols, values.begin() + i * r.cols);
    return FloatArray({r.rows, r.cols}, std::move(values));
}

FloatArray pooledAttention(const LayerTrace& layer, int head, const AttentionWindow& window, int64_t outRows,
                           int64_t outCols, Pooling pooling) {
    if (outRows <= 0 || outCols <= 0) throw Error("pooled attention", "the image needs at least one row and one column");
    const FloatArray m = headAttention(layer, head);
    const Region r = resolve(m, window);
    if (r.rows <= outRows && r.cols <= outCols) return attentionWindow(layer, head, window);
    const int64_t R = std::min(outRows, r.rows), C = std::min(outCols, r.cols);
    const auto rowEdges = binEdges(r.rows, R), colEdges = binEdges(r.cols, C);
    std::vector<float> values(static_cast<size_t>(R * C));
    std::vector<double> rowAcc(static_cast<size_t>(C));
    for (int64_t br = 0; br < R; ++br) {
        std::fill(rowAcc.begin(), rowAcc.end(), pooling == Pooling::Max ? -1.0 : 0.0);
        for (int64_t i = rowEdges[static_cast<size_t>(br)]; i < rowEdges[static_cast<size_t>(br) + 1]; ++i) {
            const float* row = m.data() + (r.row0 + i) * r.T + r.col0;
            for (int64_t bc = 0; bc < C; ++bc) {
                double& acc = rowAcc[static_cast<size_t>(bc)];
                for (int64_t j = colEdges[static_cast<size_t>(bc)]; j < colEdges[static_cast<size_t>(bc) + 1]; ++j)
                    acc = pooling == Pooling::Max ? std::max(acc, static_cast<double>(row[j])) : acc + row[j];
            }
        }
        const int64_t cellRows = rowEdges[static_cast<size_t>(br) + 1] - rowEdges[static_cast<size_t>(br)];
        for (int64_t bc = 0; bc < C; ++bc) {
            const int64_t cells = cellRows * (colEdges[static_cast<size_t>(bc) + 1] - colEdges[static_cast<size_t>(bc)]);
            const double acc = rowAcc[static_cast<size_t>(bc)];
            values[static_cast<size_t>(br * C + bc)] = static_cast<float>(pooling == Pooling::Max ? acc : acc / static_cast<double>(cells));
        }
    }
    return FloatArray({R, C}, std::move(values));
}

} // namespace headlight
