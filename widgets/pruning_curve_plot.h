#pragma once
// Pruning curves (Michel et al. 2019, Fig. 3 style): the task metric and the loss against the fraction of
// heads pruned, one line per pruning order, in one figure. Used by `headlight-cli prune-curve --figure`.
// On screen the two panels are stacked while each gets its readable height; a shorter widget shows one of them
// with a switch above it, and before there are curves a line saying what will appear replaces empty axes.
#include "figure_export.h"
#include "plot_style.h"

#include <QString>
#include <QWidget>
#include <vector>

class QButtonGroup;
class QCPAxisRect;
class QCPLayoutGrid;
class QCPLegend;
class QCPTextElement;
class QCustomPlot;
class QLabel;

namespace headlight {

struct CurveSeries {
    QString name;                        // the order ("importance", "gate", ...)
    std::vector<double> fractionPruned;  // x, one per step
    std::vector<double> metric;          // accuracy per step
    std::vector<double> loss;            // mean loss per step
};

class PruningCurvePlot : public QWidget {
    Q_OBJECT
public:
    enum Panel { BothPanels = -1, AccuracyPanel = 0, LossPanel = 1 };

    explicit PruningCurvePlot(QWidget* parent = nullptr);

    // Throws std::invalid_argument when a series' three vectors differ in length.
    // `xLabel` names the x axis (default: the fraction of heads pruned; the memory curve reuses the plot).
    void setCurves(const std::vector<CurveSeries>& curves, const QString& title = {}, const QString& xLabel = {});
    // Shown instead of the axes while there are no curves (which button makes them); empty: empty axes.
    void setPlaceholder(const QString& text);
    QLabel* placeholder() const { return placeholder_; }

    QCustomPlot* plot() const { return plot_; }
    QCPAxisRect* accuracyRect() const { return metricRect_; }
    QCPAxisRect* lossRect() const { return lossRect_; }
    QCPLegend* legend() const { return legend_; }

    // The panel shown alone while the plot is shorter than stackedMinimumHeight(), else BothPanels.
    int shownPanel() const { return only_; }
    // Which panel to show when only one fits (the switch's buttons call this).
    void choosePanel(int panel);
    // The row of buttons that picks the panel, with the title; visible only while one panel is shown.
    QWidget* panelSwitch() const { return panelSwitch_; }
    // The plot's height at which both panels are readable stacked, with the title and the legend.
    int stackedMinimumHeight() const;
    // The least height of one panel's axis rect: three y ticks a label and a half apart (four lines of text).
    int panelMinimumHeight() const;

    // Writes the figure (publication style unless options.publication is false), both panels stacked.
    // Throws headlight::Error.
    void exportFigure(const QString& path, const ExportOptions& options);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void draw(const PlotStyle& style);
    void showPlotOrPlaceholder();
    // Both panels, or the chosen one alone, as the plot's height allows (nothing changes while exporting).
    void fitPanels();
    void arrangePanels(int only);
    // After every layout: y ticks at least a label and a half apart, the legend wrapped to the width.
    bool fitTicksAndLegend();

    QCustomPlot* plot_;
    QLabel* placeholder_;
    QWidget* panelSwitch_;
    QLabel* switchTitle_;
    QButtonGroup* panelButtons_;
    QCPTextElement* title_ = nullptr;
    QCPAxisRect* metricRect_ = nullptr;
    QCPAxisRect* lossRect_ = nullptr;
    QCPLegend* legend_ = nullptr;
    QCPLayoutGrid* legendColumn_ = nullptr;   // holds the legend beside one panel
    std::vector<CurveSeries> curves_;
    QString titleText_;
    QString xLabel_;
    int only_ = BothPanels;
    int chosen_ = AccuracyPanel;
    bool exporting_ = false;
    bool legendBeside_ = false;   // one panel shown: the legend is at its right
};

} // namespace headlight
