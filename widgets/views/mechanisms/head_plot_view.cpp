#include "views/mechanisms/head_plot_view.h"

#include "views/mechanisms/mechanism_plot.h"

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace headlight {

HeadPlotView::HeadPlotView(HeadSelection* selection, QWidget* parent, const MakeController& makeController)
    : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* plot = new QCustomPlot(content);
    controller_ = makeController(plot);
    notice_ = new QLabel(content);
    notice_->setWordWrap(true);
    notice_->hide();
    layout->addWidget(plot, 1);
    layout->addWidget(notice_);
    setContent(content);

    connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        if (event->button() != Qt::LeftButton) return;
        if (const auto head = controller_->headAtPixel(event->pos()))
            mech::selectHead(this->selection(), *head, event->modifiers());
        else if (const auto query = controller_->queryAtPixel(event->pos()))
            this->selection()->setPosition(*query);
    });
    mech::installHoverText(plot, [this](QPoint pixel) { return controller_->describeAt(pixel); });
}

HeadPlotView::~HeadPlotView() = default;

QCustomPlot* HeadPlotView::plot() const { return controller_->plot(); }

QString HeadPlotView::notice() const { return notice_->text(); }

void HeadPlotView::refresh() {
    const QString reason = controller_->update(snapshot(), *selection(), style());
    if (!reason.isEmpty()) {
        setUnavailable(reason);
        return;
    }
    notice_->setText(controller_->notice());
    notice_->setVisible(!controller_->notice().isEmpty());
}

void HeadPlotView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] { exportPlot(plot(), path, options); });
}

} // namespace headlight
