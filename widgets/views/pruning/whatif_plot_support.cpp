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

} // namespace headlight::whatif
