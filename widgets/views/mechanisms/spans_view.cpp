#include "views/mechanisms/spans_view.h"

#include "views/mechanisms/spans_controller.h"

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace headlight {

SpansView::SpansView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* plot = new QCustomPlot(content);
    controller_ = std::make_unique<SpansController>(plot);
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
    });
    mech::installHoverText(plot, [this](QPoint pixel) { return controller_->describeAt(pixel); });
}

SpansView::~SpansView() = default;

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

QCustomPlot* SpansView::plot() const { return controller_->plot(); }

QString SpansView::notice() const { return notice_->text(); }

void SpansView::refresh() {
    const QString reason = controller_->update(snapshot(), *selection(), style());
    if (!reason.isEmpty()) {
        setUnavailable(reason);
        return;
    }
    notice_->setText(controller_->notice());
    notice_->setVisible(!controller_->notice().isEmpty());
}

void SpansView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportPlot(plot(), path, options); });
}

} // namespace headlight
