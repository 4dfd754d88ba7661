#include "views/pruning/whatif_view.h"
#include "headlight/mechanisms/head_gates.h"

#include "views/attention/view_support.h"
#include "views/pruning/whatif_controller.h"

#include "panel_switch.h"

#include <QEvent>
#include <QGridLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>
#include <qcustomplot.h>


namespace headlight {

WhatIfView::WhatIfView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    qRegisterMetaType<headlight::WhatIfPreset>();
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 0);

    // Two short rows (the tooltips say the rest): they fit the dock of a 1280 x 800 window without cutting a
    // button: the importance presets with their k, then the closed-gate preset and restoring.
    auto* controlBox = new QWidget;
    auto* controls = new QGridLayout(controlBox);
    controls->setContentsMargins(0, 0, 0, 0);
    controls->setVerticalSpacing(2);
    const QString names[4] = {tr("Prune closed"), tr("Prune k least"), tr("Keep k most"), tr("Restore all")};
    for (int p = 0; p < 4; ++p) buttons_[p] = new QPushButton(names[p], content);
    count_ = new QSpinBox(content);
    count_->setRange(1, 1);
    count_->setPrefix(tr("k = "));
    count_->setToolTip(tr("How many heads \u201cPrune k least\u201d prunes and \u201cKeep k most\u201d keeps "
                          "(by head importance)."));
    buttons_[int(WhatIfPreset::RestoreAll)]->setToolTip(tr("Un-prune every head: run the whole model again."));
    controls->addWidget(buttons_[int(WhatIfPreset::PruneLeastImportant)], 0, 0);
    controls->addWidget(buttons_[int(WhatIfPreset::KeepMostImportant)], 0, 1);
    controls->addWidget(count_, 0, 2);
    controls->addWidget(buttons_[int(WhatIfPreset::PruneClosedGates)], 1, 0);
    controls->addWidget(buttons_[int(WhatIfPreset::RestoreAll)], 1, 1);
    controls->setColumnStretch(3, 1);
    layout->addWidget(scrollSideways(controlBox));
    // Below the presets the lines, the panel switch and the plot scroll together: in a short dock the plot is
    // never squeezed into what the lines leave.
    auto* body = new QWidget;
    auto* bodyLayout = new QVBoxLayout(body);
    bodyLayout->setContentsMargins(0, 0, 0, 0);
    pruned_ = new QLabel(body);   // its own line: many pruned heads wrap instead of pushing the buttons off
    pruned_->setTextFormat(Qt::PlainText);
    pruned_->setWordWrap(true);
    bodyLayout->addWidget(pruned_);
    for (int p = 0; p < 4; ++p)
        connect(buttons_[p], &QPushButton::clicked, this,
                [this, p] { emit presetRequested(static_cast<WhatIfPreset>(p), count_->value()); });

    summary_ = new QLabel(body);
    summary_->setTextFormat(Qt::PlainText);
    summary_->setWordWrap(true);
    check_ = new QLabel(body);
    check_->setTextFormat(Qt::RichText);
    check_->setWordWrap(true);
    bodyLayout->addWidget(summary_);
    bodyLayout->addWidget(check_);

    // Below kMinimumPlotHeight the KL bars and the top-k lists overlap: a shorter room shows one panel at a time.
    auto* plot = new QCustomPlot(body);
    plot->setMinimumHeight(kMinimumPlotHeight);
    controller_ = std::make_unique<WhatIfController>(plot);
    panelSwitch_ = new PanelSwitch(controller_->panelNames(), body, tr("Show:"));   // short: the dock is narrow
    panelSwitch_->hide();
    connect(panelSwitch_, &PanelSwitch::chosenChanged, this, [this] { fitPanels(); });
    bodyLayout->addWidget(panelSwitch_);
    bodyLayout->addWidget(plot, 1);
    scroll_ = new QScrollArea(content);
    scroll_->setWidgetResizable(true);
    scroll_->setFrameShape(QFrame::NoFrame);
    scroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll_->setWidget(body);
    scroll_->viewport()->installEventFilter(this);
    plot->installEventFilter(this);   // a narrow plot has other panels
    layout->addWidget(scroll_, 1);
    setContent(content);

    // A click (not a drag, which pans) on a KL bar or a heatmap row selects that position; on a head of the
    // per-head section, that head (its before and after are then drawn beside it).
    onPlotClick(plot, [this](QMouseEvent* e) {
        if (const auto head = controller_->headAt(e->pos())) this->selection()->setCurrent(*head);
        else if (const auto position = controller_->positionAt(e->pos())) this->selection()->setPosition(*position);
    });
    updateControls();
}

WhatIfView::~WhatIfView() = default;

bool WhatIfView::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::Resize && (watched == scroll_->viewport() || watched == plot())) fitPanels();
    return TraceView::eventFilter(watched, event);
}

void WhatIfView::arrangeFor(QSize points) {
    figureLayout_ = !points.isEmpty();
    if (!figureLayout_) {   // the screen: as the room under the lines decides
        controller_->showPanel(screenPanel_);
        fitPanels();
        return;
    }
    screenPanel_ = controller_->shownPanel();   // a figure has every panel, whatever the dock shows
    controller_->showPanel(-1);
}

void WhatIfView::fitPanels() {
    if (figureLayout_) return;
    // The room the plot would have under the lines without the switch: showing the switch must not be what
    // makes it needed.
    const int above = plot()->y() - (panelSwitch_->isVisible() ? panelSwitch_->height() : 0);
    const bool all = !plot()->isVisible() || scroll_->viewport()->height() - above >= kMinimumPlotHeight;
    panelSwitch_->setPanelNames(controller_->panelNames());
    panelSwitch_->setVisible(!all);
    const int only = all ? -1 : panelSwitch_->chosen();
    plot()->setMinimumHeight(all ? kMinimumPlotHeight : kMinimumPanelHeight);
    if (controller_->shownPanel() == only) return;
    controller_->showPanel(only);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

QCustomPlot* WhatIfView::plot() const { return controller_->plot(); }

QPushButton* WhatIfView::presetButton(WhatIfPreset preset) const { return buttons_[static_cast<int>(preset)]; }

QString WhatIfView::title() const { return tr("What if"); }

QString WhatIfView::explanation() const {
    return tr("<p>Pruning a head multiplies its output by 0. This view compares the pruned run (<i>after</i>) with "
              "the whole model (<i>before</i>) on the same text.</p>"
              "<p><b>KL divergence</b> per position says how much the prediction of the next token changed: "
              "KL(before &#8214; after) = &Sigma;<sub>v</sub> p<sub>before</sub>(v) "
              "log(p<sub>before</sub>(v) / p<sub>after</sub>(v)), in nats; 0 means unchanged.</p>"
              "<p><b>Perplexity</b> = exp(mean loss), the loss being &minus;log p(the actual next token): "
              "roughly how many tokens the model hesitates between.</p>"
              "<p>With head gates (Voita et al. 2019) a closed gate is exactly 0 and already multiplies its "
              "head's output by 0, so pruning only closed heads must change nothing: the logits stay the same.</p>"
              "<p>Below: the selected head's attention before, after, and after &minus; before (pruning a head "
              "also changes the attention of later layers). Click a bar or a row to select a position.</p>");
}

void WhatIfView::updateControls() {
    const RunSnapshot& s = snapshot();
    const bool gated = s.valid() && s.model->config.mechanism<HeadGatesConfig>();
    auto* closed = buttons_[int(WhatIfPreset::PruneClosedGates)];
    closed->setEnabled(gated);
    closed->setToolTip(gated ? tr("Prune every head whose gate is exactly 0 (closed). Closed heads add nothing, "
                                  "so the predictions must not change.")
                             : tr("This model has no head gates."));
    const int heads = std::max(1, s.layers() * s.heads());
    count_->setRange(1, heads);
    const bool measured = s.scores && !s.scores->importance.empty();
    const QString source = measured ? tr("Importance I_h was measured on %1.").arg(s.scores->source)
                                    : tr("Importance I_h has not been computed yet: it is computed on this text "
                                         "first.");
    buttons_[int(WhatIfPreset::PruneLeastImportant)]->setToolTip(
        tr("Prune k more heads: the kept heads with the smallest importance (Michel et al. 2019). %1").arg(source));
    buttons_[int(WhatIfPreset::KeepMostImportant)]->setToolTip(
        tr("Keep only the k heads with the largest importance and prune all others. %1").arg(source));
    for (int p = 1; p < 3; ++p) buttons_[p]->setEnabled(s.valid());
    buttons_[int(WhatIfPreset::RestoreAll)]->setEnabled(!prunedHeads(s).isEmpty());
}

void WhatIfView::refresh() {
    const RunSnapshot& s = snapshot();
    updateControls();
    pruned_->setText(prunedHeadsText(s));
    if (s.pruned())
        summary_->setText(lossSummaryText(s));
    else if (prunedHeads(s).isEmpty())
        summary_->setText(howToPruneText());
    else
        summary_->setText(tr("The comparison with the unpruned run is not available for this run."));
    gateCheck_ = checkGates(s);
    check_->setVisible(!gateCheck_.text.isEmpty());
    check_->setText(QStringLiteral("<span style=\"color:%1\">%2</span>")
                        .arg(gateCheck_.color(style()).name(), gateCheck_.text.toHtmlEscaped()));
    controller_->update(s, *selection(), style());
    // Nothing pruned: the line saying how to prune, not five empty plots with made-up ranges.
    plot()->setVisible(s.pruned());
    fitPanels();
}

void WhatIfView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] {
        // The file carries the numbers the panel shows above the figure.
        const RunSnapshot& s = snapshot();
        if (!s.valid()) {
            exportPlot(plot(), path, options);
            return;
        }
        QStringList caption{s.model->name.isEmpty() ? prunedHeadsText(s)
                                                    : s.model->name + QStringLiteral(": ") + prunedHeadsText(s)};
        if (s.pruned()) caption << lossSummaryText(s);
        if (!gateCheck_.text.isEmpty()) caption << gateCheck_.text;
        controller_->withCaption(caption.join(QLatin1Char('\n')), style(), [&] { exportPlot(plot(), path, options); });
    });
}

} // namespace headlight
