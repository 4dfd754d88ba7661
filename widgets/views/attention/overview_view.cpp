#include "views/attention/overview_view.h"

#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/view_support.h"

#include <QComboBox>
#include <algorithm>
#include <QKeyEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QSignalBlocker>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace headlight {

OverviewView::OverviewView(HeadSelection* selection, QWidget* parent)
    : TraceView(selection, parent), model_(new HeadOverviewModel(this)) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 0);
    auto* label = new QLabel(tr("Colour by:"), content);
    metricBox_ = new QComboBox(content);
    metricBox_->setToolTip(tr("The number each cell shows, computed for this run"));
    label->setBuddy(metricBox_);
    bar->addWidget(label);
    bar->addWidget(metricBox_);
    bar->addStretch(1);
    layout->addLayout(bar);
    plot_ = new QCustomPlot(content);
    plot_->setMinimumSize(220, 160);
    layout->addWidget(plot_, 1);
    controller_ = std::make_unique<OverviewController>(plot_);

    connect(metricBox_, QOverload<int>::of(&QComboBox::activated), this, [this](int index) {
        const QString id = metricBox_->itemData(index).toString();
        setMetric(id);
        emit metricChanged(id);
    });
    onPlotClick(plot_, [this](QMouseEvent* event) { clicked(event); });
    // Keys reach the view when the plot has focus (it does not use them itself).
    setFocusPolicy(Qt::StrongFocus);
    plot_->setFocusPolicy(Qt::ClickFocus);
    plot_->setToolTipDuration(-1);
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
        const auto head = controller_->headAt(event->position());
        plot_->setToolTip(head ? model_->index(head->layer, head->head).data(Qt::ToolTipRole).toString() : QString());
    });
    setContent(content);
}

OverviewView::~OverviewView() = default;

QString OverviewView::explanation() const {
    return tr("<p>Every attention head of the model at once: one row per layer, one column per head. "
              "The colour is the number chosen above, computed for this run. Click a head to show it in the "
              "other views; Ctrl+click adds heads to compare. Shift+click prunes a head (or restores it); "
              "the arrow keys move the current head and Space prunes or restores it. The What if panel shows what "
              "pruning changed.</p>"
              "<p><b>Entropy</b> of head h: mean over queries i of "
              "<i>H<sub>i</sub> = &minus;&Sigma;<sub>j</sub> p<sub>ij</sub> ln p<sub>ij</sub></i> (nats): 0 = looks at one "
              "token, ln T = spreads evenly. <b>Largest weight</b>: mean of max<sub>j</sub> p<sub>ij</sub>. "
              "<b>Mean distance</b>: mean of &Sigma;<sub>j</sub> p<sub>ij</sub> |i &minus; j| in tokens (how far back a head "
              "reads). <b>First token</b>: mean of p<sub>i0</sub>, the weight resting on the first token (an attention "
              "sink). "
              "<b>Gate</b> g and <b>P(open)</b> (Voita et al.): a red cross marks a head whose gate is closed (g = 0). "
              "<b>Span</b> z in tokens (Sukhbaatar et al.). <b>Masking</b>: mean of min(F<sub>ij</sub>, 1) over "
              "earlier keys, the same for all heads of a layer (Leviathan et al.). <b>Memory</b>: share of "
              "attention on the persistent memory slots. A dashed stroke marks a head pruned for this run.</p>"
              "<p>After an analysis (Analysis panel): <b>Head importance</b> (Michel et al. 2019) "
              "<i>I<sub>h</sub> = E<sub>x</sub> |&part;L(x)/&part;&xi;<sub>h</sub>|</i>, the loss gradient with respect "
              "to the head's mask, and <b>Loss change, pruned alone</b>: L(head h pruned) &minus; L.</p>");
}

void OverviewView::setMetric(const QString& id) {
    if (id == model_->requestedMetric()) return;
    model_->setMetric(id);
    if (snapshot().valid()) {
        fillMetricBox();
        setSnapshot(snapshot());   // redraws through the base (message or plot)
    }
}

QString OverviewView::metric() const { return model_->requestedMetric(); }

void OverviewView::fillMetricBox() {
    const QSignalBlocker block(metricBox_);
    metricBox_->clear();
    for (const QString& id : model_->availableMetrics()) {
        metricBox_->addItem(HeadOverviewModel::metricNameFor(id), id);
    }
    metricBox_->setCurrentIndex(metricBox_->findData(model_->metric()));
}

void OverviewView::refresh() {
    const RunSnapshot& run = snapshot();
    if (run.trace != shownTrace_ || run.model != shownModel_ || run.scores != shownScores_) {
        shownTrace_ = run.trace;
        shownModel_ = run.model;
        shownScores_ = run.scores;
        model_->setSnapshot(run);
        fillMetricBox();
    }
    if (run.trace->layers.empty()) {
        setUnavailable(tr("This run kept no head internals (capture was off), so there is nothing to compare."));
        return;
    }
    controller_->update(*model_, selection()->heads(), style());
    plot_->replot();
}

void OverviewView::clicked(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || !snapshot().valid()) return;
    const auto head = controller_->headAt(event->position());
    if (!head) return;
    if (event->modifiers() & Qt::ControlModifier) {
        selection()->toggle(*head);
    } else if (event->modifiers() & Qt::ShiftModifier) {
        selection()->setCurrent(*head);
        emit pruneToggled(head->layer, head->head);
    } else {
        selection()->setCurrent(*head);
    }
}

void OverviewView::keyPressEvent(QKeyEvent* event) {
    const RunSnapshot& run = snapshot();
    if (!run.valid()) return TraceView::keyPressEvent(event);
    HeadRef h = selection()->current();
    switch (event->key()) {
    case Qt::Key_Left: h.head = std::max(0, h.head - 1); break;
    case Qt::Key_Right: h.head = std::min(run.heads() - 1, h.head + 1); break;
    case Qt::Key_Up: h.layer = std::max(0, h.layer - 1); break;     // layer 0 is drawn on top
    case Qt::Key_Down: h.layer = std::min(run.layers() - 1, h.layer + 1); break;
    case Qt::Key_Space:
    case Qt::Key_Delete:
        if (selection()->heads().size() > 1) emit pruneHeadsToggled(selection()->heads());
        else emit pruneToggled(h.layer, h.head);
        return;
    default: return TraceView::keyPressEvent(event);
    }
    selection()->setCurrent(h);
}

void OverviewView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportPlot(plot_, path, options); });
}

} // namespace headlight
