#include "views/heads/lens_view.h"

#include "views/attention/view_support.h"
#include "views/heads/lens_controller.h"

#include <QMouseEvent>
#include <QToolTip>
#include <qcustomplot.h>

namespace headlight {

LensView::LensView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    plot_ = new QCustomPlot(this);
    plot_->setMinimumSize(240, 200);
    plot_->setMouseTracking(true);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDrag(Qt::Horizontal);
    plot_->axisRect()->setRangeZoom(Qt::Horizontal);
    controller_ = std::make_unique<LensController>(plot_);
    onPlotClick(plot_, [this](QMouseEvent* event) { clicked(event); });
    connect(plot_, &QCustomPlot::mouseMove, this, &LensView::hovered);
    // Laid out at every replot: a resize or a zoom may make the cells wide enough for their tokens (drawn in
    // that same replot).
    connect(plot_, &QCustomPlot::afterLayout, this, [this] { controller_->relabel(); });
    setContent(plot_);
}

LensView::~LensView() = default;

QString LensView::explanation() const {
    return tr("<p>What the model would predict if it stopped after each layer: the final norm and the output "
              "layer (the unembedding) applied to the residual stream after the embeddings (bottom row) and after "
              "every layer, up to the model's own output (top row). Each cell shows the most likely next token at that "
              "position and is coloured by its probability; hover for the top five and the probability and rank of "
              "the token that really comes next. Where a prediction forms tells which layers computed it "
              "(nostalgebraist's logit lens). Click a cell to select its position; scroll to zoom.</p>"
              "<p><i>p<sub>l</sub> = softmax(W<sub>U</sub> norm(x<sub>l</sub>))</i>, x<sub>l</sub> the residual "
              "stream after layer l.</p>");
}

void LensView::refresh() {
    const QString problem = controller_->update(snapshot(), *selection(), style());
    if (!problem.isEmpty()) {
        setUnavailable(problem);
        if (!snapshot().lens && isVisible()) emit lensWanted();
        return;
    }
    plot_->replot();
}

void LensView::showEvent(QShowEvent* event) {
    TraceView::showEvent(event);
    if (snapshot().valid() && !snapshot().lens) emit lensWanted();
}

void LensView::clicked(QMouseEvent* event) {
    if (!snapshot().valid()) return;
    if (const auto cell = controller_->cellAt(event->position())) selection()->setPosition(cell->position);
}

void LensView::hovered(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) return;
    const auto cell = controller_->cellAt(event->position());
    if (!cell) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), controller_->toolTip(*cell), plot_);
}

void LensView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] { exportPlot(plot_, path, options); });
}

} // namespace headlight
