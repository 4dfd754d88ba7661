#include "views/attention/predictions_view.h"

#include "views/attention/clipboard_text.h"
#include "views/attention/view_support.h"

#include <QAction>
#include <QMouseEvent>
#include <QToolTip>
#include <qcustomplot.h>

namespace headlight {

PredictionsView::PredictionsView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    plot_ = new QCustomPlot(this);
    plot_->setMinimumSize(240, 240);
    plot_->setMouseTracking(true);
    controller_ = std::make_unique<PredictionsController>(plot_);
    onPlotClick(plot_, [this](QMouseEvent* event) { clicked(event); });
    connect(plot_, &QCustomPlot::mouseMove, this, &PredictionsView::hovered);
    plot_->setFocusPolicy(Qt::ClickFocus);   // Ctrl+C after a click on the plot
    copyList_ = new QAction(tr("Copy list"), plot_);
    copyList_->setShortcut(QKeySequence::Copy);
    copyList_->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    copyList_->setToolTip(tr("The top-10 list: rank, token, id and probability, tab-separated"));
    connect(copyList_, &QAction::triggered, this, &PredictionsView::copyList);
    auto* separator = new QAction(plot_);
    separator->setSeparator(true);
    plot_->addActions({copyList_, separator});   // before "Export figure..."
    setContent(plot_);
}

void PredictionsView::copyList() const {
    if (!snapshot().valid() || !unavailableReason().isEmpty()) return;
    copyToClipboard(predictionsText(*controller_));
}

PredictionsView::~PredictionsView() = default;

QString PredictionsView::explanation() const {
    return tr("<p>Top: the ten tokens the model finds likeliest to come next after the selected token, with their "
              "probabilities; the token the text really continues with is highlighted. Bottom: the loss along the "
              "text, high where the next token surprised the model. The dashed line is the mean loss. Click the "
              "graph to select a position.</p>"
              "<p><i>p(v) = exp(z<sub>v</sub>) / &Sigma;<sub>w</sub> exp(z<sub>w</sub>)</i> for the logits z at "
              "position i; loss<sub>i</sub> = &minus;ln p(token<sub>i+1</sub>) (nats; 0 = certain and right).</p>");
}

void PredictionsView::refresh() {
    const QString problem = controller_->update(snapshot(), *selection(), style());
    if (!problem.isEmpty()) {
        setUnavailable(problem);
        return;
    }
    plot_->replot();
}

void PredictionsView::clicked(QMouseEvent* event) {
    if (!snapshot().valid()) return;
    if (const auto position = controller_->positionAt(event->position())) selection()->setPosition(*position);
}

void PredictionsView::hovered(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) return;   // panning
    const auto position = controller_->positionAt(event->position());
    if (!position) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), controller_->lossToolTip(*position), plot_);
}

void PredictionsView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] { exportPlot(plot_, path, options); });
}

} // namespace headlight
