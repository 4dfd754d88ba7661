#include "views/mechanisms/gates_view.h"

#include "views/mechanisms/gates_controller.h"

#include <memory>

namespace headlight {

GatesView::GatesView(HeadSelection* selection, QWidget* parent)
    : HeadPlotView(selection, parent, [](QCustomPlot* plot) { return std::make_unique<GatesController>(plot); }) {}

GatesController* GatesView::controller() const {
    return static_cast<GatesController*>(headPlotController());   // the one the constructor made
}

QString GatesView::title() const { return tr("Head gates"); }

QString GatesView::explanation() const {
    return tr("<p>Each head has a gate <i>g</i> between 0 and 1 that scales its output (Voita et al. 2019). "
              "Training with an L0 penalty pushes unneeded heads to <i>g</i> = 0: they are <b>closed</b> "
              "(marked &times;) and could be removed without changing the model.</p>"
              "<p>The gate is a stretched, clipped sigmoid of a learned <i>log &alpha;</i>: "
              "<i>g</i> = clamp(&sigma;(log &alpha;)(&zeta; &minus; &gamma;) + &gamma;, 0, 1). "
              "P(open) = &sigma;(log &alpha; &minus; &beta; ln(&minus;&gamma;/&zeta;)) is the chance that a "
              "sampled gate is not 0; the L0 count &Sigma; P(open) is the expected number of open heads.</p>"
              "<p>Click a bar to select its head (Ctrl adds it).</p>");
}

} // namespace headlight
