#pragma once
// Pruning curves (Michel et al. 2019, Fig. 3 style): the task metric and the loss against the fraction of
// heads pruned, one line per pruning order, in one figure. Used by `headlight-cli prune-curve --figure`.
#include "figure_export.h"
#include "plot_style.h"

#include <QString>
#include <QWidget>
#include <vector>

class QCustomPlot;

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
    explicit PruningCurvePlot(QWidget* parent = nullptr);

    // Throws std::invalid_argument when a series' three vectors differ in length.
    // `xLabel` names the x axis (default: the fraction of heads pruned; the memory curve reuses the plot).
    void setCurves(const std::vector<CurveSeries>& curves, const QString& title = {}, const QString& xLabel = {});
    QCustomPlot* plot() const { return plot_; }
    // Writes the figure (publication style unless options.publication is false). Throws headlight::Error.
    void exportFigure(const QString& path, const ExportOptions& options);

private:
    void draw(const PlotStyle& style);

    QCustomPlot* plot_;
    std::vector<CurveSeries> curves_;
    QString title_;
    QString xLabel_;
};

} // namespace headlight
