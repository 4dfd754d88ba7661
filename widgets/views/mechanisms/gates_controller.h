#pragma once
// Turns a run's head gates (Voita et al. 2019) into grouped bars: per head the deterministic gate value and
// P(open), heads grouped by layer, closed heads (gate == 0) marked, and the L0 count (expected open heads).
#include "plot_style.h"
#include "run_snapshot.h"
#include "views/mechanisms/head_plot_view.h"
#include "views/mechanisms/mechanism_plot.h"

#include <QList>
#include <QPoint>
#include <QString>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPBars;
class QCPGraph;
class QCPTextElement;

namespace headlight {

class GatesController : public HeadPlotController {
public:
    explicit GatesController(QCustomPlot* plot);

    // Draws `snapshot`; returns why it cannot (the model has no gates), or an empty string.
    QString update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) override;

    QCustomPlot* plot() const override { return plot_; }
    const mech::HeadGrid& grid() const { return grid_; }
    QCPBars* gateBars() const { return gateBars_; }          // key = grid().key(l, h), value = gate
    QCPBars* openBars() const { return openBars_; }          // value = P(open)
    QCPGraph* closedMarks() const { return closedMarks_; }   // one point per head with gate == 0
    QCPBars* selectedOutline() const { return selected_; }   // the selected heads' slots

    // Expected number of open heads, sum of P(open): per layer (NaN when not captured) and over the model.
    double expectedOpen(int layer) const;
    double expectedOpenTotal() const { return expectedTotal_; }
    QList<HeadRef> closedHeads() const { return closed_; }
    // Which layers are missing from the run, or empty.
    QString notice() const override { return notice_; }

    std::optional<HeadRef> headAtPixel(QPoint pixel) const override;
    QString describeAt(QPoint pixel) const override;   // hover text for the head under `pixel`

private:
    void clear();

    QCustomPlot* plot_;
    QCPTextElement* title_;
    QCPBars* gateBars_;
    QCPBars* openBars_;
    QCPBars* selected_;
    QCPGraph* closedMarks_;
    mech::HeadGrid grid_;
    std::vector<double> expectedPerLayer_;
    double expectedTotal_ = 0;
    QList<HeadRef> closed_;
    QString notice_;
    RunSnapshot snapshot_;   // for hover text
    double labelLine_ = 16;  // pixels: the height of a layer's Σ P(open) line, kept free above the bars
};

} // namespace headlight
