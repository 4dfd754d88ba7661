#pragma once
// Turns a run and the selection into the T x T attention heatmap: queries down (query 0 on top), keys across.
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
class QCPTextElement;

namespace headlight {

enum class MatrixMode {
    Head,           // the current head
    SelectedMean,   // mean over every selected head
    LayerMean,      // mean over the captured heads of the current head's layer
};

enum class MatrixScale { Linear, Log };

struct MatrixCell {
    int query = 0;
    int key = 0;
};

class AttentionMatrixController {
public:
    // In log scale, weights below this are drawn at it (log 0 does not exist); the tooltip keeps the true value.
    static constexpr double kLogFloor = 1e-4;

    explicit AttentionMatrixController(QCustomPlot* plot);

    QCustomPlot* plot() const { return plot_; }
    QCPColorMap* map() const { return map_; }
    QCPColorScale* colorScale() const { return scale_; }

    // Recomputes and redraws. Returns why nothing can be drawn (e.g. the head was not captured), else "".
    QString update(const RunSnapshot& run, const HeadSelection& selection, MatrixMode mode, MatrixScale scale,
                   const PlotStyle& style);

    int tokens() const { return tokens_; }
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

private:
    QString collectHeads(const RunSnapshot& run, const HeadSelection& selection, MatrixMode mode);
    // Computes the [T,T] matrix of heads_ and puts it in the colour map.
    void fill(const RunSnapshot& run, MatrixScale scale);

    QCustomPlot* plot_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPTextElement* title_;
    QCPItemRect* rowMarker_;
    std::vector<float> matrix_;   // [T,T] row = query, column = key
    int tokens_ = 0;
    QStringList labels_;
    QList<HeadRef> heads_;
    QString subject_;
    bool meanMode_ = false;
    bool causal_ = true;   // the run's model masks later keys
    // What the colour map holds now: refilled only when one changes (a new position just moves the marker).
    std::shared_ptr<const Trace> drawnTrace_;
    QList<HeadRef> drawnHeads_;
    MatrixScale drawnScale_ = MatrixScale::Linear;
};

} // namespace headlight
