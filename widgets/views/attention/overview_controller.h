#pragma once
// Draws the head overview: a layers x heads grid coloured by one metric (layer 0 on top), closed gates
// crossed out, pruned heads struck through, selected heads outlined.
#include "head_selection.h"
#include "plot_style.h"

#include <QList>
#include <QFont>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <optional>
#include <utility>

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

    // Redraws from `model` and outlines `selected` (the current head first); the colours span
    // model.colorRange(), as the head grid's frames do.
    void update(const HeadOverviewModel& model, const QList<HeadRef>& selected, const PlotStyle& style);

    // The head whose cell contains the widget pixel `pos`, if any (valid after a replot).
    std::optional<HeadRef> headAt(const QPointF& pos) const;
    // The widget pixel at the centre of `head`'s cell.
    QPointF cellCenter(HeadRef head) const;

    // What the last update marked (tests and the legend read them).
    QList<HeadRef> outlinedHeads() const { return outlined_; }
    QList<HeadRef> closedMarks() const { return closed_; }
    QList<HeadRef> prunedMarks() const { return pruned_; }
    QString legendText() const;
    // Role tags drawn in the cells now (the head's role label; only while cells are labelled).
    int roleTagCount() const { return roleTags_; }
    // How many cells show their value now (only those where the number fits; the rest on hover).
    int shownValueCount() const;
    // Shows the values when the laid-out cells are large enough for them (in a smaller font if need be); true
    // when that changed.
    bool fitValueLabels();
    // Numbers every step-th head and layer so that neighbouring tick labels keep apart; true when that changed.
    bool fitTickLabels();
    // The smallest of 1, 2, 5, 10, ... whose labels `extent` pixels long fit `count` indices `pitch` apart.
    static int labelStep(int count, double pitch, int extent);
    std::pair<int, int> tickLabelSteps() const { return labelSteps_; }   // (heads, layers)
    // An encoder-decoder model's block names as drawn over the grid (empty for one stack).
    QStringList blockLabels() const;

private:
    void clearMarks();
    void addLine(QPointF from, QPointF to, const QPen& pen);

    QCustomPlot* plot_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPTextElement* legend_;
    QList<QCPAbstractItem*> marks_;
    QList<QCPItemText*> valueTexts_;
    QList<QCPItemText*> blockTexts_;   // an encoder-decoder model's block names
    QStringList rowNames_;             // its rows' names ("E0", ...); empty for one stack
    QList<HeadRef> outlined_, closed_, pruned_;
    int layers_ = 0;
    int heads_ = 0;
    std::pair<int, int> labelSteps_{0, 0};
    QFont valueFont_;   // the style's font: the value labels shrink from it
    int roleTags_ = 0;
    QString roleLegend_;
};

} // namespace headlight
