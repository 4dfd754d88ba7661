#pragma once
// The shape the gates, spans and memory views share: one controller's plot with a notice line under it;
// clicking a head selects it (Ctrl adds it), clicking a query row selects that token, hovering explains.
#include "panel_layout.h"
#include "panel_switch.h"
#include "trace_view.h"

#include <QPoint>
#include <functional>
#include <memory>
#include <optional>

class QCustomPlot;
class QLabel;
class QWidget;

namespace headlight {

// What a HeadPlotView asks of its controller.
class HeadPlotController {
public:
    virtual ~HeadPlotController() = default;
    // Draws `snapshot`; returns why it cannot (the model lacks the mechanism), or an empty string.
    virtual QString update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) = 0;
    virtual QCustomPlot* plot() const = 0;
    // Which layers are missing from the run, or empty.
    virtual QString notice() const = 0;
    virtual std::optional<HeadRef> headAtPixel(QPoint pixel) const = 0;
    // The query token under `pixel`, for plots with a token axis.
    virtual std::optional<int> queryAtPixel(QPoint) const { return std::nullopt; }
    // Hover text for what is under `pixel`, empty for nothing.
    virtual QString describeAt(QPoint pixel) const = 0;
    // The plot's panels when it has several (the view shows one at a time when the dock is too short), else null.
    virtual PanelLayout* panels() const { return nullptr; }
};

class HeadPlotView : public TraceView {
    Q_OBJECT
public:
    ~HeadPlotView() override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    QCustomPlot* plot() const;
    // The line under the plot (layers the run did not capture), empty when there is nothing to say.
    QString notice() const;
    // The row of buttons that picks the one panel a short dock shows (hidden while every panel fits).
    PanelSwitch* panelSwitch() const { return panelSwitch_; }
    // Shows panel `i` alone while the dock is too short for all of them (the switch's buttons do this).
    void choosePanel(int i);

protected:
    using MakeController = std::function<std::unique_ptr<HeadPlotController>(QCustomPlot* plot)>;
    HeadPlotView(HeadSelection* selection, QWidget* parent, const MakeController& makeController);
    void refresh() override;
    bool eventFilter(QObject* watched, QEvent* event) override;
    void arrangeFor(QSize points) override;
    HeadPlotController* headPlotController() const { return controller_.get(); }

private:
    // Every panel stacked when the plot's room holds their minimum heights, else the chosen one alone.
    void fitPanels();

    std::unique_ptr<HeadPlotController> controller_;
    QLabel* notice_;
    PanelSwitch* panelSwitch_ = nullptr;
    int chosenPanel_ = 0;
    int screenPanel_ = -1;        // the panel the dock showed before a figure's arrangement
    bool figureLayout_ = false;   // arranged for a figure: the dock's height decides nothing
};

} // namespace headlight
