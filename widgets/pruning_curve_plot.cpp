#include "pruning_curve_plot.h"

#include "alike_ticker.h"
#include "panel_layout.h"
#include "title_text.h"

#include <QButtonGroup>
#include <QEvent>
#include <QFontMetrics>
#include <QFontMetricsF>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <stdexcept>

namespace headlight {
namespace {

constexpr int kMostYTicks = 5;
constexpr double kTickSpacingInLabels = 1.5;   // y ticks closer than a label and a half read as one smudge

void rerunLayout(QCustomPlot* plot) {
    for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
        plot->plotLayout()->update(phase);
}

} // namespace

PruningCurvePlot::PruningCurvePlot(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), placeholder_(new QLabel(this)), panelSwitch_(new QWidget(this)),
      panelButtons_(new QButtonGroup(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);

    // One panel shown: its title moves from the plot into this row, beside the buttons, so the switch costs no
    // height of its own.
    auto* row = new QHBoxLayout(panelSwitch_);
    row->setContentsMargins(4, 2, 4, 0);
    switchTitle_ = new QLabel(panelSwitch_);
    switchTitle_->setWordWrap(true);
    QFont bold = switchTitle_->font();
    bold.setBold(true);
    switchTitle_->setFont(bold);
    row->addWidget(switchTitle_, 1);
    const QString why = tr("Too short for accuracy and loss together: make the dock taller to see both.");
    for (int panel : {AccuracyPanel, LossPanel}) {
        auto* button = new QToolButton(panelSwitch_);
        button->setText(panel == AccuracyPanel ? tr("Accuracy") : tr("Loss"));
        button->setCheckable(true);
        button->setChecked(panel == chosen_);
        button->setToolTip(why);
        panelButtons_->addButton(button, panel);
        row->addWidget(button);
    }
    connect(panelButtons_, &QButtonGroup::idClicked, this, &PruningCurvePlot::choosePanel);
    panelSwitch_->hide();

    placeholder_->setWordWrap(true);
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setMargin(12);
    placeholder_->hide();

    layout->addWidget(panelSwitch_);
    layout->addWidget(plot_, 1);
    layout->addWidget(placeholder_, 1);
    plot_->setAutoAddPlottableToLegend(false);   // one legend entry per order, added in draw()
    plot_->installEventFilter(this);
    connect(plot_, &QCustomPlot::afterLayout, this, [this] {
        if (fitTicksAndLegend()) rerunLayout(plot_);
    });
    draw(PlotStyle::fromPalette(palette()));   // empty axes until the first curves
}

void PruningCurvePlot::setCurves(const std::vector<CurveSeries>& curves, const QString& title, const QString& xLabel) {
    for (const CurveSeries& c : curves)
        if (c.metric.size() != c.fractionPruned.size() || c.loss.size() != c.fractionPruned.size())
            throw std::invalid_argument("pruning curve \"" + c.name.toStdString() + "\": steps, metric and loss differ in length");
    curves_ = curves;
    titleText_ = title;
    xLabel_ = xLabel;
    draw(PlotStyle::fromPalette(palette()));
    showPlotOrPlaceholder();
}

void PruningCurvePlot::setPlaceholder(const QString& text) {
    placeholder_->setText(text);
    showPlotOrPlaceholder();
}

void PruningCurvePlot::showPlotOrPlaceholder() {
    const bool waiting = curves_.empty() && !placeholder_->text().isEmpty();
    placeholder_->setVisible(waiting);
    plot_->setVisible(!waiting);
    if (waiting) panelSwitch_->hide();
    else fitPanels();
}

void PruningCurvePlot::draw(const PlotStyle& style) {
    plot_->clearPlottables();
    plot_->plotLayout()->clear();   // rebuilt below: title, metric, loss, legend
    legendColumn_ = nullptr;        // cleared with the rest
    title_ = new QCPTextElement(plot_, titleText_.isEmpty() ? tr("Pruning curves") : titleText_);
    plot_->plotLayout()->addElement(0, 0, title_);
    metricRect_ = new QCPAxisRect(plot_);
    lossRect_ = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(1, 0, metricRect_);
    plot_->plotLayout()->addElement(2, 0, lossRect_);
    // Both share the x range (fraction pruned) and line up their left edges.
    auto* margins = new QCPMarginGroup(plot_);
    for (QCPAxisRect* r : {metricRect_, lossRect_}) {
        r->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
        // Room on the right for half of the last x label ("1.0"), which is centred on the axis' end.
        const int overhang = QFontMetrics(style.font).horizontalAdvance(QStringLiteral("1.00")) / 2 + 2;
        r->setMinimumMargins(QMargins(0, 0, overhang, 0));
        r->axis(QCPAxis::atBottom)->setRange(0, 1);
        for (QCPAxis* axis : {r->axis(QCPAxis::atBottom), r->axis(QCPAxis::atLeft)}) {
            useAlikeTickLabels(axis);   // "0.0 0.5 1.0", not "0 0.5 1"
            axis->ticker()->setTickCount(kMostYTicks);
        }
    }
    metricRect_->axis(QCPAxis::atLeft)->setLabel(tr("accuracy"));
    metricRect_->axis(QCPAxis::atLeft)->setRange(0, 1.02);
    lossRect_->axis(QCPAxis::atLeft)->setLabel(tr("loss (nats)"));

    // No legend without curves: an empty legend's maximum width is 0, which would narrow the whole column.
    legend_ = curves_.empty() ? nullptr : new QCPLegend;
    if (legend_) {
        plot_->plotLayout()->addElement(3, 0, legend_);
        legend_->setFillOrder(QCPLegend::foColumnsFirst);
        legend_->setLayer(QStringLiteral("legend"));
        // Compact: a short dock's one panel keeps most of its height for the curves.
        legend_->setIconSize(16, 8);
        legend_->setRowSpacing(0);
        legend_->setColumnSpacing(10);
        legend_->setMargins(QMargins(4, 2, 4, 3));
        plot_->plotLayout()->setRowStretchFactor(3, 0.01);
    }
    plot_->plotLayout()->setRowStretchFactor(0, 0.01);

    double maxLoss = 0;
    for (size_t i = 0; i < curves_.size(); ++i) {
        const CurveSeries& c = curves_[i];
        const QColor color = seriesColor(static_cast<int>(i));
        const QVector<double> x(c.fractionPruned.begin(), c.fractionPruned.end());
        for (QCPAxisRect* r : {metricRect_, lossRect_}) {
            auto* g = plot_->addGraph(r->axis(QCPAxis::atBottom), r->axis(QCPAxis::atLeft));
            const auto& y = r == metricRect_ ? c.metric : c.loss;
            g->setData(x, QVector<double>(y.begin(), y.end()), true);
            g->setPen(QPen(color, 1.0));
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, color, 5));
            g->setName(c.name);
            if (r == metricRect_) {
                auto* item = new QCPPlottableLegendItem(legend_, g);
                item->setMargins(QMargins(2, 0, 2, 0));
                legend_->addItem(item);
            }
        }
        for (double l : c.loss) maxLoss = std::max(maxLoss, l);
    }
    lossRect_->axis(QCPAxis::atLeft)->setRange(0, maxLoss > 0 ? maxLoss * 1.05 : 1.0);
    arrangePanels(exporting_ ? BothPanels : only_);
    applyStyle(plot_, style);
    if (legend_) {
        legend_->setBrush(QBrush(style.background));
        legend_->setTextColor(style.foreground);
        legend_->setBorderPen(QPen(style.grid, 0));
        legend_->setFont(style.font);
    }
    plot_->replot();
}

void PruningCurvePlot::arrangePanels(int only) {
    const QString xLabel = xLabel_.isEmpty() ? tr("fraction of heads pruned") : xLabel_;
    const bool metric = only != LossPanel, loss = only != AccuracyPanel;
    showCollapsible(title_, only == BothPanels);   // one panel: the title is in the switch's row
    switchTitle_->setText(unwrappedTitle(title_));
    showCollapsible(metricRect_, metric);
    showCollapsible(lossRect_, loss);
    plot_->plotLayout()->setRowStretchFactor(1, metric ? 1.0 : 0.001);
    plot_->plotLayout()->setRowStretchFactor(2, loss ? 1.0 : 0.001);
    // The x axis is named under the lower panel shown.
    metricRect_->axis(QCPAxis::atBottom)->setLabel(loss ? QString() : xLabel);
    lossRect_->axis(QCPAxis::atBottom)->setLabel(xLabel);
    if (!legend_) return;
    // One panel: the legend beside it, an entry a row, so the panel keeps the height legend rows would take.
    QCPLayoutGrid* grid = plot_->plotLayout();
    if (legendColumn_) {   // back from beside a panel: the column goes, with its spacer
        legendColumn_->take(legend_);
        grid->take(legendColumn_);
        delete legendColumn_;
        legendColumn_ = nullptr;
    } else {
        grid->take(legend_);
    }
    grid->simplify();   // drops the legend's emptied row or column
    legendBeside_ = only != BothPanels;
    if (legendBeside_) {
        // At the top of a column of its own; the spacer under it takes the rest of the panel's height.
        legendColumn_ = new QCPLayoutGrid;
        grid->addElement(metric ? 1 : 2, 1, legendColumn_);
        grid->setColumnStretchFactor(1, 0.001);
        legendColumn_->setMargins(QMargins(0, 6, 4, 0));
        legendColumn_->addElement(0, 0, legend_);
        legendColumn_->addElement(1, 0, new QCPLayoutElement(plot_));
        legendColumn_->setRowStretchFactor(0, 0.001);
        legend_->setWrap(1);
    } else {
        grid->addElement(3, 0, legend_);
        grid->setRowStretchFactor(3, 0.001);
        legend_->setWrap(0);   // fitTicksAndLegend() wraps it to the width
    }
    legend_->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
}

int PruningCurvePlot::panelMinimumHeight() const {
    return qRound(4 * QFontMetricsF(metricRect_->axis(QCPAxis::atLeft)->tickLabelFont()).height());
}

int PruningCurvePlot::stackedMinimumHeight() const {
    const double line = QFontMetricsF(metricRect_->axis(QCPAxis::atLeft)->tickLabelFont()).height();
    // Each panel: its axis rect, its x tick labels and the margins around them; one x axis label under both.
    const double panels = 2 * (panelMinimumHeight() + 2 * line) + 1.5 * line;
    const auto heightOf = [](const QCPLayoutElement* e) { return e ? e->minimumOuterSizeHint().height() : 0; };
    const int title = heightOf(title_), legend = heightOf(legend_);
    return qRound(panels) + title + legend;
}

void PruningCurvePlot::choosePanel(int panel) {
    chosen_ = panel == LossPanel ? LossPanel : AccuracyPanel;
    if (QAbstractButton* button = panelButtons_->button(chosen_)) button->setChecked(true);
    fitPanels();
}

void PruningCurvePlot::fitPanels() {
    if (exporting_ || !plot_->isVisible()) return;
    // The room the plot would have without the switch: showing the switch must not be what makes it needed.
    const int room = plot_->height() + (panelSwitch_->isVisible() ? panelSwitch_->sizeHint().height() + 2 : 0);
    const bool both = room >= stackedMinimumHeight();
    const int only = both ? BothPanels : chosen_;
    panelSwitch_->setVisible(!both);
    if (only == only_) return;
    only_ = only;
    arrangePanels(only_);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

bool PruningCurvePlot::fitTicksAndLegend() {
    bool changed = false;
    for (QCPAxisRect* rect : {metricRect_, lossRect_}) {
        QCPAxis* y = rect->axis(QCPAxis::atLeft);
        if (rect->height() <= 1) continue;   // collapsed
        const double least = kTickSpacingInLabels * QFontMetricsF(y->tickLabelFont()).height();
        const QSharedPointer<QCPAxisTicker> ticker = y->ticker();
        const int before = ticker->tickCount();
        // The most ticks whose spacing still reads: fewer ticks, never smaller or overlapping labels.
        for (int count = kMostYTicks; count >= 2; --count) {
            ticker->setTickCount(count);
            QVector<double> ticks;
            ticker->generate(y->range(), QLocale(), 'g', 6, ticks, nullptr, nullptr);
            const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : y->range().size();
            if (rect->height() * step / y->range().size() >= least) break;
        }
        changed = changed || ticker->tickCount() != before;
    }
    if (legend_ && legend_->itemCount() > 0 && !legendBeside_) {
        // As many columns as fit the width, so that no entry is cut.
        int widest = 1;
        for (int i = 0; i < legend_->itemCount(); ++i)
            if (const QCPLayoutElement* item = legend_->item(i))
                widest = std::max(widest, item->minimumOuterSizeHint().width() + legend_->columnSpacing());
        const int room = plot_->viewport().width() - legend_->margins().left() - legend_->margins().right() - 8;
        const int columns = std::clamp(room / widest, 1, legend_->itemCount());
        if (legend_->wrap() != columns) {
            legend_->setWrap(columns);
            legend_->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
            changed = true;
        }
    }
    return changed;
}

bool PruningCurvePlot::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plot_ && (event->type() == QEvent::Resize || event->type() == QEvent::Show)) fitPanels();
    return QWidget::eventFilter(watched, event);
}

void PruningCurvePlot::changeEvent(QEvent* event) {
    // The dark theme and back: the plot takes the palette's colours like the rest of the window.
    if (event->type() == QEvent::PaletteChange && !exporting_ && metricRect_) draw(PlotStyle::fromPalette(palette()));
    QWidget::changeEvent(event);
}

void PruningCurvePlot::exportFigure(const QString& path, const ExportOptions& options) {
    // A figure shows both panels, whatever the dock's height.
    exporting_ = true;
    struct Restore {
        PruningCurvePlot* plot;
        ~Restore() {
            plot->exporting_ = false;
            plot->arrangePanels(plot->only_);
            plot->plot_->replot();
        }
    } restore{this};
    exportRedrawn(plot_, path, options, [this](const PlotStyle& style) { draw(style); }, PlotStyle::fromPalette(palette()));
}

} // namespace headlight
