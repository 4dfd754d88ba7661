#pragma once
// Draws the head overview: a layers x heads grid coloured by one metric (layer 0 on top), closed gates
// crossed out, pruned heads struck through, selected heads outlined.
#include "head_selection.h"
#include "plot_style.h"

#include <QList>
#include <QPointF>
#include <QString>
#include <optional>

class QCustomPlot;
class QCPAbstractItem;
class QCPItemText;
class QCPColorMap;
class QCPColorScale;
class QCPTextElement;

namespace headlight {

class HeadOverviewModel;

class OverviewController {
public:
    explicit OverviewController(QCustomPlot* plot);

    QCustomPlot* plot() const { return plot_; }
    QCPColorMap* map() const { return map_; }
    QCPColorScale* colorScale() const { return scale_; }

    // Redraws from `model` and outlines `selected` (the current head first). `tokens` bounds entropy's scale.
    void update(const HeadOverviewModel& model, const QList<HeadRef>& selected, int tokens, const PlotStyle& style);

    // The head whose cell contains the widget pixel `pos`, if any (valid after a replot).
    std::optional<HeadRef> headAt(const QPointF& pos) const;
    // The widget pixel at the centre of `head`'s cell.
    QPointF cellCenter(HeadRef head) const;

    // What the last update marked (tests and the legend read them).
    QList<HeadRef> outlinedHeads() const { return outlined_; }
    QList<HeadRef> closedMarks() const { return closed_; }
    QList<HeadRef> prunedMarks() const { return pruned_; }
    QString legendText() const;
    // How many cells show their value now (only those where the number fits; the rest on hover).
    int shownValueCount() const;
    // Shows the values when the laid-out cells are large enough for them; true when that changed.
    bool fitValueLabels();

private:
    void clearMarks();
    void addLine(QPointF from, QPointF to, const QPen& pen);

    QCustomPlot* plot_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPTextElement* legend_;
    QList<QCPAbstractItem*> marks_;
    QList<QCPItemText*> valueTexts_;
    QList<HeadRef> outlined_, closed_, pruned_;
    int layers_ = 0;
    int heads_ = 0;
};

} // namespace headlight
