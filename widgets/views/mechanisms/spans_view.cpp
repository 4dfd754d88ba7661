#include "views/mechanisms/spans_view.h"

#include "views/mechanisms/spans_controller.h"

#include <memory>

namespace headlight {

SpansView::SpansView(HeadSelection* selection, QWidget* parent)
    : HeadPlotView(selection, parent, [](QCustomPlot* plot) { return std::make_unique<SpansController>(plot); }) {}

SpansController* SpansView::controller() const {
    return static_cast<SpansController*>(headPlotController());   // the one the constructor made
}

QString SpansView::title() const { return tr("Attention spans"); }

QString SpansView::explanation() const {
    return tr("<p>With an adaptive span (Sukhbaatar et al. 2019) every head learns how far back it looks. "
              "Attention to a token <i>x</i> positions back is multiplied by a soft mask that is 1 up to the "
              "span <i>z</i>, then falls linearly to 0 over a ramp of <i>R</i> tokens:</p>"
              "<p align=center><i>m<sub>z</sub>(x)</i> = clamp((<i>R</i> + <i>z</i> &minus; <i>x</i>) / <i>R</i>, 0, 1),"
              " &nbsp; <i>z</i> &le; <i>S</i> (the maximum span)</p>"
              "<p>(a) shows the masks of the selected layer, the selected head's span and ramp marked. "
              "(b) shows every head's span, sorted within each layer on a log scale: short spans are cheap local "
              "heads, long ones carry long-range information. Click a curve or bar to select its head.</p>");
}

} // namespace headlight
