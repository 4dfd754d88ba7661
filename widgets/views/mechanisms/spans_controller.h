#pragma once
// Turns a run's adaptive spans (Sukhbaatar et al. 2019) into two panels: (a) the soft masks
// m_z(x) = clamp((R + z - x) / R, 0, 1) of the selected layer's heads against distance x, and (b) every head's
// span z as bars sorted within each layer on a log axis (their Fig. 4).
#include "plot_style.h"
#include "headlight/mechanisms/adaptive_span.h"
#include "run_snapshot.h"
#include "views/mechanisms/head_plot_view.h"
#include "views/mechanisms/mechanism_plot.h"

#include <QPoint>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPLegend;
class QCPTextElement;

namespace headlight {

class SpansController : public HeadPlotController {
public:
    // Spans below this many tokens (0 included) are drawn at it: a log axis has no 0.
    static constexpr double kSpanFloor = 0.1;

    explicit SpansController(QCustomPlot* plot);

    // Draws `snapshot`; returns why it cannot (the model has no adaptive span), or an empty string.
    QString update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) override;

    QCustomPlot* plot() const override { return plot_; }
    QCPAxisRect* maskRect() const { return maskRect_; }
    QCPAxisRect* spanRect() const { return spanRect_; }

    // (a) The layer whose masks are drawn, and head h's mask curve (nullptr when that layer was not captured).
    int maskLayer() const { return maskLayer_; }
    QCPGraph* maskCurve(int head) const;
    // The plotted curve of `head` read back at distance x (linear between its points; NaN without a curve).
    double maskAt(int head, double x) const;

    // (b) Layer l's bars, in plotted order (ascending span), and which head each bar is.
    QCPBars* spanBars(int layer) const;
    std::vector<HeadRef> sortedHeads(int layer) const;
    // Keys (as in spanBars) of the heads whose span is below kSpanFloor and drawn at it.
    QCPGraph* flooredMarks() const { return flooredMarks_; }

    QString notice() const override { return notice_; }
    PanelLayout* panels() const override { return panels_.get(); }
    std::optional<HeadRef> headAtPixel(QPoint pixel) const override;
    QString describeAt(QPoint pixel) const override;

private:
    void clear();
    void drawMasks(const LayerTrace& layer, const HeadSelection& selection, const PlotStyle& style);
    void drawSortedSpans(const PlotStyle& style);
    // Turns (b)'s bar labels when they are wider than a bar's room, upright otherwise; true when that changed.
    bool fitBarLabels();
    const LayerTrace* spanLayer(int l) const;

    QCustomPlot* plot_;
    QCPTextElement* maskTitle_;
    QCPTextElement* spanTitle_;

public:
    // Panel (b)'s title as the view set it.
    QString spanTitle() const;
    // The names in each panel's legend, in order (every mark drawn is named there).
    QStringList maskLegendNames() const;
    QStringList spanLegendNames() const;

private:
    QCPAxisRect* maskRect_;
    QCPAxisRect* spanRect_;
    std::unique_ptr<PanelLayout> panels_;
    std::vector<QCPGraph*> curves_;                 // per head of maskLayer_
    std::vector<QCPBars*> bars_;                    // per layer (nullptr when not captured)
    QCPBars* selectedOutline_;
    QCPGraph* flooredMarks_;
    QCPGraph* maxSpanLine_;                         // dashed at S, a graph so that the legend names it
    QCPLegend* maskLegend_;                         // under (a): the heads' colours
    QCPLegend* spanLegend_;                         // under (b): bars, S, floored spans, the selection
    std::vector<std::vector<HeadRef>> sorted_;      // per layer, ascending span
    mech::HeadGrid grid_;
    int maskLayer_ = -1;
    AdaptiveSpanConfig config_;   // the model's span settings (the mask's ramp R and S)
    double ramp_ = 1, maxSpan_ = 0;
    QString notice_;
    RunSnapshot snapshot_;
};

} // namespace headlight
