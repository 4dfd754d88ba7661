#pragma once
// Turns a run's persistent-memory attention (all-attention layers) into plotted data: per head the share of
// attention that goes to the N learned memory slots versus the context (mean over queries, stacked bars), and
// the selected head's [T, N] memory attention as a heatmap (queries x slots).
#include "plot_style.h"
#include "run_snapshot.h"
#include "views/mechanisms/head_plot_view.h"
#include "views/mechanisms/mechanism_plot.h"

#include <QPoint>
#include <QString>
#include <memory>
#include <optional>

class QCustomPlot;
class QCPAxisRect;
class QCPBars;
class QCPColorMap;
class QCPTextElement;

namespace headlight {

class MemoryController : public HeadPlotController {
public:
    explicit MemoryController(QCustomPlot* plot);

    // Draws `snapshot`; returns why it cannot (no persistent memory, nothing captured), or an empty string.
    QString update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) override;

    QCustomPlot* plot() const override { return plot_; }
    QCPAxisRect* shareRect() const { return shareRect_; }
    QCPAxisRect* heatRect() const { return heatRect_; }
    const mech::HeadGrid& grid() const { return grid_; }
    QCPBars* memoryBars() const { return memoryBars_; }     // key = grid().key(l, h), value = memory share
    QCPBars* contextBars() const { return contextBars_; }   // stacked on top: 1 - memory share
    QCPColorMap* heatmap() const { return heatmap_; }       // key = slot n, value = query i
    // The head the heatmap shows (the current one); whether it was captured.
    HeadRef heatHead() const { return heatHead_; }
    bool heatHeadCaptured() const { return heatCaptured_; }

    // Mean over queries of the attention on all memory slots of `head`'s layer trace; NaN when not captured.
    static double memoryShare(const RunSnapshot& snapshot, HeadRef head);

    QString notice() const override { return notice_; }
    PanelLayout* panels() const override { return panels_.get(); }
    std::optional<HeadRef> headAtPixel(QPoint pixel) const override;
    std::optional<int> queryAtPixel(QPoint pixel) const override;   // a heatmap row
    QString describeAt(QPoint pixel) const override;

private:
    void clear();
    void drawHeatmap(const HeadSelection& selection, const PlotStyle& style);

    QCustomPlot* plot_;
    QCPTextElement *shareTitle_, *heatTitle_;
    QCPAxisRect *shareRect_, *heatRect_;
    std::unique_ptr<PanelLayout> panels_;
    QCPBars *memoryBars_, *contextBars_, *selected_;
    QCPColorMap* heatmap_;
    mech::HeadGrid grid_;
    HeadRef heatHead_;
    bool heatCaptured_ = false;
    int slots_ = 0;
    QString notice_;
    RunSnapshot snapshot_;
};

} // namespace headlight
