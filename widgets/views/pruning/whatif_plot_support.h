#pragma once
// The what-if figure's own colours (its token axes, attention blocks and cells come from
// views/attention/view_support.h, shared with the attention views).
#include "plot_style.h"

class QCPColorGradient;

namespace headlight::whatif {

// Blue (negative) through a neutral middle to red (positive): ColorBrewer RdBu, for after - before.
QCPColorGradient divergingGradient(const PlotStyle& style);

} // namespace headlight::whatif
