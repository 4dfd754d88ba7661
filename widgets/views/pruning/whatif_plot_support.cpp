#include "views/pruning/whatif_plot_support.h"

#include <qcustomplot.h>

namespace headlight::whatif {

QCPColorGradient divergingGradient(const PlotStyle& style) {
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(33, 102, 172));
    g.setColorStopAt(0.25, QColor(103, 169, 207));
    g.setColorStopAt(0.5, style.dark ? QColor(60, 60, 60) : QColor(247, 247, 247));   // "no change"
    g.setColorStopAt(0.75, QColor(239, 138, 98));
    g.setColorStopAt(1.0, QColor(178, 24, 43));
    g.setLevelCount(256);
    return g;
}

void addSection(QCPLayoutGrid* parent, int column, QCPTextElement* title, QCPAxisRect* rect, QCPColorScale* scale) {
    auto* grid = new QCPLayoutGrid;
    parent->addElement(0, column, grid);   // in the plot first, so the children find their plot
    grid->addElement(0, 0, title);
    grid->addElement(1, 0, rect);
    if (scale) {
        grid->addElement(1, 1, scale);
        grid->setColumnStretchFactors({1, 0.001});
    }
    grid->setRowStretchFactor(0, 0.001);
    grid->setRowSpacing(0);
}

QCPAxisRect* newRect(QCustomPlot* plot) {
    auto* rect = new QCPAxisRect(plot);
    rect->axis(QCPAxis::atTop)->setVisible(false);
    rect->axis(QCPAxis::atRight)->setVisible(false);
    return rect;
}

} // namespace headlight::whatif
