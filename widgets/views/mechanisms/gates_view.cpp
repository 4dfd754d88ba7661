#include "views/mechanisms/gates_view.h"

#include "views/mechanisms/gates_controller.h"

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace headlight {

GatesView::GatesView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* plot = new QCustomPlot(content);
    controller_ = std::make_unique<GatesController>(plot);
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

GatesView::~GatesView() = default;

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

QCustomPlot* GatesView::plot() const { return controller_->plot(); }

QString GatesView::notice() const { return notice_->text(); }

void GatesView::refresh() {
    const QString reason = controller_->update(snapshot(), *selection(), style());
    if (!reason.isEmpty()) {
        setUnavailable(reason);
        return;
    }
    notice_->setText(controller_->notice());
    notice_->setVisible(!controller_->notice().isEmpty());
}

void GatesView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportPlot(plot(), path, options); });
}

} // namespace headlight
