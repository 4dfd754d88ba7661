#pragma once
// Plot pieces the what-if figure needs: token labels that thin out to fit their axis, a head's attention block
// in a trace, square heatmap cells, and the diverging gradient for differences.
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QStringList>

class QCPAxis;
class QCPColorGradient;
class QCPColorMap;

namespace headlight::whatif {

// Token labels at integer positions, as many as fit the axis length (steps of 1, 2, 5, 10, ...), re-fitted after
// every layout, so 2048 tokens stay readable and an export at another size gets fitting labels too.
void setTokenTicks(QCPAxis* axis, const QStringList& labels);
QStringList tokenLabels(const RunSnapshot& snapshot);

// Head `head`'s [T,T] attention block in `trace` (row = query, column = key), or nullptr when not captured.
const float* headAttention(const Trace& trace, HeadRef head, int tokens);

// Sizes `map` to tokens x tokens cells centred on 0..T-1. One token is stored as 2 x 2 half cells, since
// QCustomPlot spreads n cells over n-1 intervals.
void resizeCells(QCPColorMap* map, int tokens);

// Blue (negative) through a neutral middle to red (positive): ColorBrewer RdBu, for after - before.
QCPColorGradient divergingGradient(const PlotStyle& style);

} // namespace headlight::whatif
