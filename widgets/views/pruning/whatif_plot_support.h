#pragma once
// The what-if figure's own colours (its token axes, attention blocks and cells come from
// views/attention/view_support.h, shared with the attention views).
#include "plot_style.h"

class QCPAxisRect;
class QCPColorGradient;
class QCPColorScale;
class QCPLayoutGrid;
class QCPTextElement;
class QCustomPlot;

namespace headlight::whatif {

// Blue (negative) through a neutral middle to red (positive): ColorBrewer RdBu, for after - before.
QCPColorGradient divergingGradient(const PlotStyle& style);

// A titled section of the figure in `parent`'s `column`: the title above `rect` (and `scale` beside it, if any).
void addSection(QCPLayoutGrid* parent, int column, QCPTextElement* title, QCPAxisRect* rect,
                QCPColorScale* scale = nullptr);
// An axis rect with only its left and bottom axes.
QCPAxisRect* newRect(QCustomPlot* plot);

} // namespace headlight::whatif
