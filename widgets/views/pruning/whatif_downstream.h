#pragma once
// The what-if figure's per-head section: how much pruning moved every head's attention
// (RunComparison::attentionChange [L,H], the mean total variation of its rows, 0..1), layers down and heads
// across, the pruned heads struck through. A pruned head's own pattern only changes through heads pruned before
// it, so the colour shows where the change went: downstream.
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QList>
#include <QPoint>
#include <QString>
#include <optional>
#include <utility>

class QCustomPlot;
class QCPAbstractItem;
class QCPAxisRect;
class QCPColorMap;
class QCPColorScale;
class QCPLayoutGrid;
class QCPMarginGroup;
class QCPTextElement;

namespace headlight {

class WhatIfDownstream {
public:
    // Adds the section to `parent` at `column`; its top and bottom follow `tops`.
    WhatIfDownstream(QCustomPlot* plot, QCPLayoutGrid* parent, int column, QCPMarginGroup* tops);

    // Draws snapshot.comparison->attentionChange (a pruned snapshot); clear() empties the section.
    void update(const RunSnapshot& snapshot, const PlotStyle& style);
    void clear();

    QCPAxisRect* rect() const { return rect_; }
    QCPColorMap* map() const { return map_; }
    QCPColorScale* colorScale() const { return scale_; }
    QString title() const;
    // The value drawn for (layer, head): NaN where not captured or outside the grid.
    double value(int layer, int head) const;
    // The heads struck through as pruned, and the head whose attention changed most (none when nothing moved).
    QList<HeadRef> prunedMarks() const { return pruned_; }
    std::optional<HeadRef> largest() const { return largest_; }
    // Numbers every step-th head and layer so that tick labels keep apart (after a layout); true when changed.
    bool fitTickLabels();
    // The head under a widget pixel (valid after a replot).
    std::optional<HeadRef> headAt(QPoint pixel) const;

private:
    QCustomPlot* plot_;
    QCPAxisRect* rect_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPTextElement* title_;
    QList<QCPAbstractItem*> marks_;
    QList<HeadRef> pruned_;
    std::optional<HeadRef> largest_;
    int layers_ = 0, heads_ = 0;
    std::pair<int, int> steps_{0, 0};   // (heads, layers) label steps
};

} // namespace headlight
