#include "views/mechanisms/head_plot_view.h"

#include "views/mechanisms/mechanism_plot.h"

#include <QEvent>
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
    if (PanelLayout* panels = controller_->panels(); panels && panels->count() > 1) {
        // One button per panel, shown only while the dock is too short for every panel.
        QStringList names;
        for (int i = 0; i < panels->count(); ++i) names << panels->panel(i).name;
        panelSwitch_ = new PanelSwitch(names, content);
        connect(panelSwitch_, &PanelSwitch::chosenChanged, this, &HeadPlotView::choosePanel);
        panelSwitch_->hide();
        layout->addWidget(panelSwitch_);
        plot->installEventFilter(this);
    }
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

void HeadPlotView::choosePanel(int i) {
    chosenPanel_ = i;
    if (panelSwitch_) panelSwitch_->choose(i);
    fitPanels();
}

bool HeadPlotView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plot() && event->type() == QEvent::Resize) fitPanels();
    return TraceView::eventFilter(watched, event);
}

void HeadPlotView::fitPanels() {
    PanelLayout* panels = controller_->panels();
    if (!panels || !panelSwitch_ || figureLayout_) return;
    // The room the plot would have without the switch: showing the switch must not be what makes it needed.
    const int room = plot()->height() + (panelSwitch_->isVisible() ? panelSwitch_->sizeHint().height() : 0);
    const bool all = room >= panels->stackedMinimumHeight();
    const int only = all ? -1 : chosenPanel_;
    if (panels->shownPanel() == only && panels->arrangement() == PanelLayout::Arrangement::Stacked &&
        panelSwitch_->isVisible() == !all)
        return;
    panelSwitch_->setVisible(!all);
    panels->arrange(PanelLayout::Arrangement::Stacked, only);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

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

void HeadPlotView::arrangeFor(QSize points) {
    PanelLayout* panels = controller_->panels();
    if (!panels) return;
    figureLayout_ = !points.isEmpty();
    if (points.isEmpty()) {   // the screen: as the dock's height decides
        panels->arrange(PanelLayout::Arrangement::Stacked, screenPanel_);
        fitPanels();
        return;
    }
    // A figure shows every panel: stacked in a column's width, side by side across a page.
    screenPanel_ = panels->shownPanel();
    panels->arrange(points.width() >= kWideFigurePoints ? PanelLayout::Arrangement::SideBySide
                                                        : PanelLayout::Arrangement::Stacked);
}

} // namespace headlight
