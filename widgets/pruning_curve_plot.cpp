#include "pruning_curve_plot.h"

#include <QVBoxLayout>
#include <qcustomplot.h>

#include <stdexcept>

namespace headlight {

PruningCurvePlot::PruningCurvePlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->setAutoAddPlottableToLegend(false);   // one legend entry per order, added in draw()
}

void PruningCurvePlot::setCurves(const std::vector<CurveSeries>& curves, const QString& title, const QString& xLabel) {
    for (const CurveSeries& c : curves)
        if (c.metric.size() != c.fractionPruned.size() || c.loss.size() != c.fractionPruned.size())
            throw std::invalid_argument("pruning curve \"" + c.name.toStdString() + "\": steps, metric and loss differ in length");
    curves_ = curves;
    title_ = title;
    xLabel_ = xLabel;
    draw(PlotStyle::fromPalette(palette()));
}

void PruningCurvePlot::draw(const PlotStyle& style) {
    plot_->clearPlottables();
    plot_->plotLayout()->clear();   // rebuilt below: title, metric, loss, legend
    auto* title = new QCPTextElement(plot_, title_.isEmpty() ? tr("Pruning curves") : title_);
    plot_->plotLayout()->addElement(0, 0, title);
    auto* metricRect = new QCPAxisRect(plot_);
    auto* lossRect = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(1, 0, metricRect);
    plot_->plotLayout()->addElement(2, 0, lossRect);
    // Both share the x range (fraction pruned) and line up their left edges.
    auto* margins = new QCPMarginGroup(plot_);
    for (QCPAxisRect* r : {metricRect, lossRect}) {
        r->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
        r->axis(QCPAxis::atBottom)->setRange(0, 1);
    }
    metricRect->axis(QCPAxis::atLeft)->setLabel(tr("accuracy"));
    metricRect->axis(QCPAxis::atLeft)->setRange(0, 1.02);
    lossRect->axis(QCPAxis::atLeft)->setLabel(tr("loss (nats)"));
    lossRect->axis(QCPAxis::atBottom)->setLabel(xLabel_.isEmpty() ? tr("fraction of heads pruned") : xLabel_);

    // No legend without curves: an empty legend's maximum width is 0, which would narrow the whole column.
    QCPLegend* legend = curves_.empty() ? nullptr : new QCPLegend;
    if (legend) {
        plot_->plotLayout()->addElement(3, 0, legend);
        legend->setFillOrder(QCPLegend::foColumnsFirst);
        legend->setLayer(QStringLiteral("legend"));
        plot_->plotLayout()->setRowStretchFactor(3, 0.01);
    }
    plot_->plotLayout()->setRowStretchFactor(0, 0.01);

    double maxLoss = 0;
    for (size_t i = 0; i < curves_.size(); ++i) {
        const CurveSeries& c = curves_[i];
        const QColor color = seriesColor(static_cast<int>(i));
        const QVector<double> x(c.fractionPruned.begin(), c.fractionPruned.end());
        for (QCPAxisRect* r : {metricRect, lossRect}) {
            auto* g = plot_->addGraph(r->axis(QCPAxis::atBottom), r->axis(QCPAxis::atLeft));
            const auto& y = r == metricRect ? c.metric : c.loss;
            g->setData(x, QVector<double>(y.begin(), y.end()), true);
            g->setPen(QPen(color, 1.0));
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, color, 5));
            g->setName(c.name);
            if (r == metricRect) legend->addItem(new QCPPlottableLegendItem(legend, g));
        }
        for (double l : c.loss) maxLoss = std::max(maxLoss, l);
    }
    lossRect->axis(QCPAxis::atLeft)->setRange(0, maxLoss > 0 ? maxLoss * 1.05 : 1.0);
    applyStyle(plot_, style);
    if (legend) {
        legend->setBrush(QBrush(style.background));
        legend->setTextColor(style.foreground);
        legend->setBorderPen(QPen(style.grid, 0));
    }
    plot_->replot();
}

void PruningCurvePlot::exportFigure(const QString& path, const ExportOptions& options) {
    exportRedrawn(plot_, path, options, [this](const PlotStyle& style) { draw(style); }, PlotStyle::fromPalette(palette()));
}

} // namespace headlight
