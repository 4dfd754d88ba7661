#include "views/mechanisms/memory_view.h"

#include "views/mechanisms/memory_controller.h"

#include <memory>

namespace headlight {

MemoryView::MemoryView(HeadSelection* selection, QWidget* parent)
    : HeadPlotView(selection, parent, [](QCustomPlot* plot) { return std::make_unique<MemoryController>(plot); }) {}

MemoryController* MemoryView::controller() const {
    return static_cast<MemoryController*>(headPlotController());   // the one the constructor made
}

QString MemoryView::title() const { return tr("Persistent memory"); }

QString MemoryView::explanation() const {
    return tr("<p>In an all-attention layer (Sukhbaatar et al. 2019, <i>Augmenting Self-attention with Persistent "
              "Memory</i>) every head also attends to <i>N</i> learned memory slots: fixed key/value vectors that "
              "act like the feed-forward layer's knowledge. One softmax runs over the tokens and the slots "
              "together, so each query splits its attention between context and memory:</p>"
              "<p align=center>p = softmax([q&middot;k<sub>1..T</sub>, q&middot;m<sub>1..N</sub>] / &radic;d), "
              "&nbsp; memory share = &Sigma;<sub>n</sub> p<sub>mem,n</sub>, &nbsp; context = 1 &minus; memory</p>"
              "<p>Top: each head's mean share per query. Bottom: the selected head's attention on each slot, "
              "query by query. Click a bar to select a head, a row to select a query.</p>");
}

} // namespace headlight
