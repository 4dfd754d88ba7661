#include "views/attention/attention_matrix_view.h"

#include "views/attention/clipboard_text.h"
#include "views/attention/view_support.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QContextMenuEvent>
#include <QHBoxLayout>
#include <QMenu>
#include <QMouseEvent>
#include <QSignalBlocker>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace headlight {

AttentionMatrixView::AttentionMatrixView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 0);
    modeBox_ = new QComboBox(content);
    modeBox_->addItem(tr("This head"), static_cast<int>(MatrixMode::Head));
    modeBox_->addItem(tr("Mean of the selected heads"), static_cast<int>(MatrixMode::SelectedMean));
    modeBox_->addItem(tr("Mean of this layer's heads"), static_cast<int>(MatrixMode::LayerMean));
    modeBox_->addItem(tr("Rollout through all layers"), static_cast<int>(MatrixMode::Rollout));
    logBox_ = new QCheckBox(tr("Log colour scale"), content);
    logBox_->setToolTip(tr("Shows small weights too: each colour step is a factor, not a difference"));
    poolBox_ = new QComboBox(content);
    poolBox_->addItem(tr("Cells: max"), static_cast<int>(MatrixPooling::Max));
    poolBox_->addItem(tr("Cells: mean"), static_cast<int>(MatrixPooling::Mean));
    poolBox_->setToolTip(tr("A long text shows cells of several tokens: the largest weight in each (no strong "
                            "link is lost) or their mean. Zoom in for the exact weights."));
    poolBox_->setObjectName(QStringLiteral("matrixPooling"));
    poolBox_->setVisible(false);
    auto* reset = new QToolButton(content);
    reset->setText(tr("Reset zoom"));
    reset->setToolTip(tr("Undo zooming and panning (or double-click the matrix)"));
    bar->addWidget(modeBox_);
    bar->addWidget(logBox_);
    bar->addWidget(poolBox_);
    bar->addStretch(1);
    bar->addWidget(reset);
    layout->addLayout(bar);
    plot_ = new QCustomPlot(content);
    plot_->setMinimumSize(240, 200);
    plot_->setMouseTracking(true);
    layout->addWidget(plot_, 1);
    controller_ = std::make_unique<AttentionMatrixController>(plot_);

    connect(modeBox_, QOverload<int>::of(&QComboBox::activated), this,
            [this](int index) { setMode(static_cast<MatrixMode>(modeBox_->itemData(index).toInt())); });
    connect(poolBox_, QOverload<int>::of(&QComboBox::activated), this,
            [this](int index) { setPooling(static_cast<MatrixPooling>(poolBox_->itemData(index).toInt())); });
    connect(logBox_, &QCheckBox::toggled, this,
            [this](bool on) { setScale(on ? MatrixScale::Log : MatrixScale::Linear); });
    auto resetZoom = [this] {
        controller_->resetZoom();
        plot_->replot();
    };
    connect(reset, &QToolButton::clicked, this, resetZoom);
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, resetZoom);
    onPlotClick(plot_, [this](QMouseEvent* event) { clicked(event); });
    connect(plot_, &QCustomPlot::mouseMove, this, &AttentionMatrixView::hovered);
    plot_->installEventFilter(this);   // the context menu knows its cell; leaving forgets the hovered one
    plot_->setFocusPolicy(Qt::ClickFocus);   // Ctrl+C after a click on the matrix

    copyValue_ = new QAction(tr("Copy value"), content);
    copyValue_->setShortcut(QKeySequence::Copy);
    copyValue_->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    copyValue_->setToolTip(tr("The weight under the mouse with its query and key tokens (else the selected row)"));
    connect(copyValue_, &QAction::triggered, this, [this] {
        if (const auto cell = menuCell_ ? menuCell_ : hovered_) copyCell(*cell);
        else copyRow();
    });
    copyRow_ = new QAction(tr("Copy row"), content);
    copyRow_->setToolTip(tr("The selected query's row: one line per key, with its token and weight"));
    connect(copyRow_, &QAction::triggered, this, &AttentionMatrixView::copyRow);
    auto* separator = new QAction(content);
    separator->setSeparator(true);
    content->addActions({copyValue_, copyRow_, separator});   // before "Export figure..."
    setContent(content);
}

void AttentionMatrixView::copyCell(MatrixCell cell) const {
    if (!snapshot().valid() || !unavailableReason().isEmpty()) return;
    copyToClipboard(matrixCellText(*controller_, snapshot(), cell));
}

void AttentionMatrixView::copyRow() const {
    if (!snapshot().valid() || !unavailableReason().isEmpty()) return;
    copyToClipboard(matrixRowText(*controller_, snapshot(), shownPosition(*selection(), controller_->tokens())));
}

bool AttentionMatrixView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plot_ && event->type() == QEvent::Leave) hovered_.reset();
    if (watched == plot_ && event->type() == QEvent::ContextMenu && snapshot().valid()) {
        // The menu of the content widget, opened here so that Copy value knows the cell it was opened on.
        auto* menuEvent = static_cast<QContextMenuEvent*>(event);
        menuCell_ = controller_->cellAt(menuEvent->pos());
        copyValue_->setEnabled(menuCell_.has_value());
        copyRow_->setText(tr("Copy row (query %1)").arg(shownPosition(*selection(), controller_->tokens())));
        QMenu::exec(plot_->parentWidget()->actions(), menuEvent->globalPos(), nullptr, plot_);
        menuCell_.reset();
        copyValue_->setEnabled(true);
        return true;
    }
    return TraceView::eventFilter(watched, event);
}

AttentionMatrixView::~AttentionMatrixView() = default;

QString AttentionMatrixView::explanation() const {
    const bool causal = !snapshot().valid() || snapshot().causal();
    QString visibility = causal
        ? tr("Cells right of the diagonal are always 0: a token never sees later tokens.")
        : tr("This model is bidirectional (BERT): every token sees the whole text, before and after it.");
    if (snapshot().encoderDecoder())
        visibility = tr("This is an encoder-decoder model: its encoder's heads (E) see the whole source, its decoder's "
                        "self-attention (D) only earlier target tokens, and its cross-attention (X) reads the source: "
                        "target tokens down, source tokens across, every cell visible (the alignment picture).");
    return tr("<p>Row i shows how token i (the query) spreads its attention over the tokens it sees (the keys): "
              "each row adds up to 1 (less when the model also attends to memory slots). Bright cells are the "
              "tokens this head copies information from. %1</p>"
              "<p><i>p<sub>ij</sub> = softmax<sub>j</sub>(q<sub>i</sub>&middot;k<sub>j</sub> / &radic;d)</i>. ").arg(visibility) +
           tr(
              "The mean modes average p<sub>ij</sub> over heads. Rollout (Abnar &amp; Zuidema 2020) follows attention "
              "through every layer: R = &Acirc;<sub>L&minus;1</sub>&middot;&middot;&middot;&Acirc;<sub>0</sub>, "
              "&Acirc;<sub>l</sub> = 0.5&middot;(mean over heads of A<sub>l</sub>) + 0.5&middot;I with rows "
              "renormalised; R<sub>ij</sub> estimates how much of token i's last representation came from token j. "
              "The log scale shows small weights "
              "(below 10<sup>&minus;4</sup> drawn as 10<sup>&minus;4</sup>). Scroll to zoom, drag to pan, click a "
              "row to select that token.</p>"
              "<p>A long text (over %1 tokens) shows cells of several tokens, each the largest or the mean weight it "
              "covers; zooming in to %1 tokens or fewer shows every weight exactly. Another head shows the picture "
              "made during the run at once, and its exact weights a moment later.</p>").arg(AttentionMatrixController::kExactTokens);
}

void AttentionMatrixView::setMode(MatrixMode mode) {
    if (mode == mode_) return;
    mode_ = mode;
    const QSignalBlocker block(modeBox_);
    modeBox_->setCurrentIndex(modeBox_->findData(static_cast<int>(mode)));
    if (snapshot().valid()) setSnapshot(snapshot());   // redraws through the base (message or plot)
}

void AttentionMatrixView::setScale(MatrixScale scale) {
    if (scale == scale_) return;
    scale_ = scale;
    const QSignalBlocker block(logBox_);
    logBox_->setChecked(scale == MatrixScale::Log);
    if (snapshot().valid()) setSnapshot(snapshot());   // redraws through the base (message or plot)
}

void AttentionMatrixView::setPooling(MatrixPooling pooling) {
    if (pooling == pooling_) return;
    pooling_ = pooling;
    const QSignalBlocker block(poolBox_);
    poolBox_->setCurrentIndex(poolBox_->findData(static_cast<int>(pooling)));
    if (snapshot().valid()) setSnapshot(snapshot());
}

void AttentionMatrixView::refresh() {
    const QString problem = controller_->update(snapshot(), *selection(), mode_, scale_, style(), pooling_);
    if (!problem.isEmpty()) {
        setUnavailable(problem);
        return;
    }
    poolBox_->setVisible(controller_->pooled());
    plot_->replot();
}

void AttentionMatrixView::clicked(QMouseEvent* event) {
    if (!snapshot().valid()) return;
    if (const auto cell = controller_->cellAt(event->position())) selection()->setPosition(cell->query);
}

void AttentionMatrixView::hovered(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) return;   // panning
    const auto cell = controller_->cellAt(event->position());
    hovered_ = cell;
    if (!cell) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), controller_->toolTip(cell->query, cell->key), plot_);
}

void AttentionMatrixView::arrangeFor(QSize points) {
    controller_->setScaleAbove(!points.isEmpty() && points.width() < kWideFigurePoints);
}

void AttentionMatrixView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] { exportPlot(plot_, path, options); });
}

} // namespace headlight
