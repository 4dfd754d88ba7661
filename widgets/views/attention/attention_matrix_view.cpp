#include "views/attention/attention_matrix_view.h"

#include "views/attention/view_support.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
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
    setContent(content);
}

AttentionMatrixView::~AttentionMatrixView() = default;

QString AttentionMatrixView::explanation() const {
    const bool causal = !snapshot().valid() || snapshot().causal();
    const QString visibility = causal
        ? tr("Cells right of the diagonal are always 0: a token never sees later tokens.")
        : tr("This model is bidirectional (BERT): every token sees the whole text, before and after it.");
    return tr("<p>Row i shows how token i (the query) spreads its attention over the tokens it sees (the keys): "
              "each row adds up to 1 (less when the model also attends to memory slots). Bright cells are the "
              "tokens this head copies information from. %1</p>"
              "<p><i>p<sub>ij</sub> = softmax<sub>j</sub>(q<sub>i</sub>&middot;k<sub>j</sub> / &radic;d)</i>. ").arg(visibility) +
           tr(
              "The mean modes average p<sub>ij</sub> over heads. The log scale shows small weights "
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
    if (!cell) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), controller_->toolTip(cell->query, cell->key), plot_);
}

void AttentionMatrixView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportPlot(plot_, path, options); });
}

} // namespace headlight
