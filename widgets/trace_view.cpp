#include "trace_view.h"

#include "symbol_glossary.h"

#include <QAction>
#include <QEvent>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QStackedLayout>
#include <algorithm>
#include <qcustomplot.h>

namespace headlight {

TraceView::TraceView(HeadSelection* selection, QWidget* parent)
    : QWidget(parent), selection_(selection), stack_(new QStackedLayout(this)), message_(new QLabel(this)) {
    message_->setAlignment(Qt::AlignCenter);
    message_->setWordWrap(true);
    message_->setMargin(24);
    stack_->addWidget(message_);
    message_->setText(tr("Run some text to see this view."));
    connect(selection_, &HeadSelection::headsChanged, this, &TraceView::redraw);
    connect(selection_, &HeadSelection::positionChanged, this, &TraceView::redraw);
}

void TraceView::setSnapshot(const RunSnapshot& snapshot) {
    snapshot_ = snapshot;
    redraw();
}

PlotStyle TraceView::style() const {
    return publication_ ? PlotStyle::publication() : PlotStyle::fromPalette(palette());
}

void TraceView::setContent(QWidget* content) {
    content_ = content;
    // A plot's own minimum is its layout's at full text (every title, tick label and colour scale): docks would
    // then push the window past the screen. Plots take the room they get; their text fits at any size.
    for (QCustomPlot* plot : content->findChildren<QCustomPlot*>()) {
        if (plot->minimumWidth() == 0) plot->setMinimumWidth(160);
        if (plot->minimumHeight() == 0) plot->setMinimumHeight(120);
    }
    stack_->addWidget(content);
    auto* exportAction = new QAction(tr("Export figure..."), content);
    connect(exportAction, &QAction::triggered, this, [this] { emit exportRequested(this); });
    content->addAction(exportAction);
    content->setContextMenuPolicy(Qt::ActionsContextMenu);
    showCurrent();
}

QWidget* TraceView::scrollSideways(QWidget* controls) {
    auto* scroll = new QScrollArea;
    scroll->setWidget(controls);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setFixedHeight(controls->sizeHint().height() + scroll->horizontalScrollBar()->sizeHint().height());
    scroll->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    return scroll;
}

QString TraceView::symbolCaption() const {
    QStringList titles;
    for (const QCustomPlot* plot : findChildren<QCustomPlot*>()) titles << plotTitles(plot);
    return symbolCaptionHtml(titles);
}

void TraceView::setUnavailable(const QString& reason) { unavailable_ = reason; }

void TraceView::showCurrent() {
    if (snapshot_.valid() && unavailable_.isEmpty() && content_) {
        stack_->setCurrentWidget(content_);
        return;
    }
    message_->setText(snapshot_.valid() ? unavailable_ : tr("Run some text to see this view."));
    stack_->setCurrentWidget(message_);
}

QSize TraceView::figurePoints(QSize requested, bool exactHeight) const {
    const double ratio = requested.isEmpty() ? 0 : figureHeightRatioAt(requested.width());
    if (ratio <= 0 || exactHeight) return requested;
    const int height = qRound(requested.width() * ratio);
    return {requested.width(), figureHeightFollowsWidth() ? height : std::max(requested.height(), height)};
}

ExportOptions TraceView::figureOptions(const ExportOptions& options) const {
    ExportOptions o = options;
    o.size = figurePoints(options.size, options.exactHeight);
    return o;
}

void TraceView::exportStyled(const ExportOptions& options, const std::function<void()>& write) {
    // The figure's arrangement (panels side by side across a page), then the screen's again, also on failure.
    arrangeFor(options.size);
    struct Restore {
        TraceView* view;
        ~Restore() { view->arrangeFor(QSize()); }
    } restore{this};
    if (!options.publication) {
        write();
        return;
    }
    publication_ = true;
    redraw();
    try {
        write();
    } catch (...) {
        publication_ = false;
        redraw();
        throw;
    }
    publication_ = false;
    redraw();
}

void TraceView::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) redraw();
    QWidget::changeEvent(event);
}

void TraceView::redraw() {
    unavailable_.clear();
    if (snapshot_.valid()) refresh();
    showCurrent();
    if (snapshot_.valid()) emit refreshed();
}

} // namespace headlight
