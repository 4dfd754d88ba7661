#include "views/mechanisms/memory_view.h"

#include "views/mechanisms/memory_controller.h"

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace headlight {

MemoryView::MemoryView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* plot = new QCustomPlot(content);
    controller_ = std::make_unique<MemoryController>(plot);
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

MemoryView::~MemoryView() = default;

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

QCustomPlot* MemoryView::plot() const { return controller_->plot(); }

QString MemoryView::notice() const { return notice_->text(); }

void MemoryView::refresh() {
    const QString reason = controller_->update(snapshot(), *selection(), style());
    if (!reason.isEmpty()) {
        setUnavailable(reason);
        return;
    }
    notice_->setText(controller_->notice());
    notice_->setVisible(!controller_->notice().isEmpty());
}

void MemoryView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportPlot(plot(), path, options); });
}

} // namespace headlight
