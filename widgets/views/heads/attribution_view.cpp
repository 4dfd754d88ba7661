#include "views/heads/attribution_view.h"

#include "views/attention/view_support.h"
#include "views/heads/attribution_controller.h"

#include <QMouseEvent>
#include <algorithm>
#include <QToolTip>
#include <qcustomplot.h>

namespace headlight {

AttributionView::AttributionView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    plot_ = new QCustomPlot(this);
    plot_->setMinimumSize(240, 240);
    plot_->setMouseTracking(true);
    controller_ = std::make_unique<AttributionController>(plot_);
    onPlotClick(plot_, [this](QMouseEvent* event) { clicked(event); });
    connect(plot_, &QCustomPlot::mouseMove, this, &AttributionView::hovered);
    setContent(plot_);
}

AttributionView::~AttributionView() = default;

QString AttributionView::explanation() const {
    return tr("<p>Which heads wrote the model's top prediction at the selected token? Every head's output at that "
              "position, every MLP's, the embeddings and the bias terms are added into the residual stream; the "
              "final norm (its scale frozen at this position, as TransformerLens does) and the output layer turn "
              "each of them into its share of the logit. The shares add up to the logit exactly. Positive bars push "
              "the prediction up, negative ones down; the sixteen largest are shown. Click a head's bar to select "
              "that head everywhere.</p>"
              "<p><i>z<sub>t</sub> = &Sigma;<sub>c</sub> W<sub>U</sub>[t] &middot; LN<sub>frozen</sub>(x<sub>c</sub>)</i>"
              " over the parts c of the residual stream x = &Sigma;<sub>c</sub> x<sub>c</sub>.</p>");
}

void AttributionView::askIfMissing() {
    if (!snapshot().valid() || !isVisible()) return;
    const int position = shownPosition(*selection(), snapshot().tokens());
    if (!snapshot().attribution || snapshot().attribution->position != position) emit attributionWanted(position);
}

void AttributionView::refresh() {
    const QString problem = controller_->update(snapshot(), *selection(), style());
    if (!problem.isEmpty()) {
        setUnavailable(problem);
        askIfMissing();
        return;
    }
    plot_->replot();
}

void AttributionView::showEvent(QShowEvent* event) {
    TraceView::showEvent(event);
    askIfMissing();
}

void AttributionView::clicked(QMouseEvent* event) {
    const AttributionTerm* t = controller_->termAt(event->position());
    if (t && t->kind == "head") selection()->setCurrent(HeadRef{t->layer, t->head});
}

void AttributionView::hovered(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) return;
    const AttributionTerm* t = controller_->termAt(event->position());
    if (!t) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("%1: %2").arg(QString::fromStdString(t->name)).arg(t->value, 0, 'f', 4), plot_);
}

double AttributionView::figureHeightRatioAt(int widthPoints) const {
    const double bars = std::max<size_t>(1, controller_->shown().size());
    const double width = std::max(1, widthPoints);
    return std::max(0.5, (14.0 * bars + 90.0) / width);
}

void AttributionView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] { exportPlot(plot_, path, options); });
}

} // namespace headlight
