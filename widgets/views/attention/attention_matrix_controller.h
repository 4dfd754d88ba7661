#pragma once
// Turns a run and the selection into the T x T attention heatmap: queries down (query 0 on top), keys across
// (T x S for an encoder-decoder model's cross-attention: target rows, source columns).
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QList>
#include <QPointF>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPMarginGroup;
class QCPTextElement;

namespace headlight {

enum class MatrixMode {
    Head,           // the current head
    SelectedMean,   // mean over every selected head
    LayerMean,      // mean over the captured heads of the current head's layer
    Rollout,        // attention rollout through every layer (RunSnapshot::rollout; docs/head-roles.md)
};

enum class MatrixScale { Linear, Log };

// How a pooled cell (a long text shows cells of several tokens) summarises the weights it covers.
enum class MatrixPooling { Max, Mean };

struct MatrixCell {
    int query = 0;
    int key = 0;
};

class AttentionMatrixController {
public:
    // In log scale, weights below this are drawn at it (log 0 does not exist); the tooltip keeps the true value.
    static constexpr double kLogFloor = 1e-4;

    // Texts longer than this show pooled cells, at most kMaxCells a side, over the visible window: zooming in
    // ends on exact cells (one token each) once the window is no wider than kMaxCells tokens.
    static constexpr int kExactTokens = 512;
    static constexpr int kMaxCells = 512;

    explicit AttentionMatrixController(QCustomPlot* plot);

    QCustomPlot* plot() const { return plot_; }
    QCPColorMap* map() const { return map_; }
    QCPColorScale* colorScale() const { return scale_; }

    // Recomputes and redraws. Returns why nothing can be drawn (e.g. the head was not captured), else "".
    QString update(const RunSnapshot& run, const HeadSelection& selection, MatrixMode mode, MatrixScale scale,
                   const PlotStyle& style, MatrixPooling pooling = MatrixPooling::Max);

    int tokens() const { return tokens_; }   // queries (rows)
    int keys() const { return keys_; }       // columns: tokens() but for cross-attention (the source's tokens)
    const QStringList& rowLabels() const { return labels_; }
    const QStringList& columnLabels() const { return keyLabels_; }
    // The heads the matrix averages (one in Head mode).
    QList<HeadRef> shownHeads() const { return heads_; }
    QString subject() const { return subject_; }   // "layer 0, head 1", "mean of 2 selected heads", ...
    // The weight of query `query` on key `key` as shown (mean in the mean modes; 0 for later keys when causal).
    double weight(int query, int key) const;
    // The value stored in the colour map's cell (the weight, or max(weight, kLogFloor) in log scale).
    double plotted(int query, int key) const;
    // The hover text of a cell: both tokens and the exact weight.
    QString toolTip(int query, int key) const;
    // The cell under a widget pixel (valid after a replot), if any.
    std::optional<MatrixCell> cellAt(const QPointF& pos) const;
    QPointF cellCenter(MatrixCell cell) const;
    // Shows every token again after zooming or panning.
    void resetZoom();
    // The colour scale as a bar above the matrix (a single-column figure: the matrix then spans the column, so
    // every token of a short text gets its label) or beside it on the right (the screen, a double column).
    void setScaleAbove(bool above);
    bool scaleAbove() const { return scaleAbove_; }

    // Pooled display (long texts, or heads known only from the run's digests): what the cells show.
    bool pooled() const { return pooled_; }
    // Whether the shown cells are the exact weights (one token each, computed from a captured head).
    bool exactCells() const { return exactCells_; }
    // The tokens the shown cell at (query, key) covers: queries [rowStart, rowEnd), keys [colStart, colEnd).
    struct CellSpan { int rowStart = 0, rowEnd = 0, colStart = 0, colEnd = 0; };
    std::optional<CellSpan> cellSpan(int query, int key) const;
    // Recomputes the cells of the visible window (pooled display); zooming and panning call it.
    void repool();

private:
    QString collectHeads(const RunSnapshot& run, const HeadSelection& selection, MatrixMode mode);
    // Computes the [T,T] matrix of heads_ and puts it in the colour map.
    void fill(const RunSnapshot& run, MatrixScale scale);
    // attention_matrix_pooled.cpp: the pooled display's cells for the visible window.
    void fillPooled();
    // Puts row-major [rows, cols] weights into the colour map's cells (log scale: floored at kLogFloor) and
    // fits the colour range to them.
    void putCells(const std::vector<float>& values, int rows, int cols, MatrixScale scale);
    void applyColourRange(double maximum, MatrixScale scale);

    QCustomPlot* plot_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPMarginGroup* group_;   // matrix and scale share the edges the scale runs along
    QCPTextElement* title_;
    QCPItemRect* rowMarker_;
    std::vector<float> matrix_;   // [T,T] row = query, column = key
    int tokens_ = 0;
    int keys_ = 0;
    QStringList labels_;
    QStringList keyLabels_;
    QList<HeadRef> heads_;
    QString subject_;
    bool meanMode_ = false;
    bool causal_ = true;   // the run's model masks later keys
    // What the colour map holds now: refilled only when one changes (a new position just moves the marker).
    std::shared_ptr<const Trace> drawnTrace_;
    QList<HeadRef> drawnHeads_;
    MatrixScale drawnScale_ = MatrixScale::Linear;
    MatrixPooling drawnPooling_ = MatrixPooling::Max;
    // Pooled display: the cells shown now ([rows x cols], row-major) and the token edges of each.
    bool pooled_ = false;
    bool exactCells_ = true;
    bool repooling_ = false;
    bool scaleAbove_ = false;
    std::shared_ptr<const Trace> trace_;     // the run the cells come from
    std::vector<float> cells_;
    std::vector<int> rowEdges_, colEdges_;   // rows + 1 and cols + 1 token positions
    QString cellNote_;                      // "cells of 16 x 16 tokens (max)", "" when exact
};

} // namespace headlight
