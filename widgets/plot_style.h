#pragma once
// Plot colours and fonts that follow the application palette (light or dark), or a print style for export.
#include <QColor>
#include <QFont>
#include <QPalette>

class QCustomPlot;
class QCPColorMap;

namespace headlight {

struct PlotStyle {
    QColor background;
    QColor foreground;   // axes, tick labels, text
    QColor grid;
    QColor accent;       // the highlighted element (selected head, cursor)
    QColor masked;       // selective attention's red
    QFont font;
    bool dark = false;
    bool print = false;   // a figure for a paper: no screen state (selection marks, hints about controls)

    static PlotStyle fromPalette(const QPalette& palette);
    static PlotStyle publication();   // white, black text, 9 pt
};

// Background, axes, grid, tick labels and legend of every axis rect in `plot`.
void applyStyle(QCustomPlot* plot, const PlotStyle& style);
// The heatmap gradient (perceptually uniform, dark-to-bright) for attention weights.
void applyHeatGradient(QCPColorMap* map, const PlotStyle& style);
// Distinct colours for several heads drawn together (index wraps).
QColor seriesColor(int index);

} // namespace headlight
