#include "views/pruning/analysis_view.h"
#include "headlight/mechanisms/selective_attention.h"
#include "headlight/mechanisms/head_gates.h"

#include "pruning_curve_plot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

namespace headlight {
namespace {

const PruneOrder kOrders[] = {PruneOrder::Importance, PruneOrder::ImportanceOnce, PruneOrder::Gate,
                              PruneOrder::Ablation, PruneOrder::Random};

// The memory curve drawn like a pruning curve: x = the share of the full context the budgets keep.
CurveSeries memorySeries(const std::vector<BudgetStep>& steps) {
    CurveSeries s;
    s.name = QObject::tr("greedy budgets");
    for (const BudgetStep& step : steps) {
        s.fractionPruned.push_back(step.fullMemory > 0 ? static_cast<double>(step.memory) / static_cast<double>(step.fullMemory) : 0.0);
        s.metric.push_back(step.evaluation.accuracy);
        s.loss.push_back(step.evaluation.loss);
    }
    return s;
}

} // namespace

AnalysisView::AnalysisView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->addWidget(scrollSideways(buildControls()));
    tabs_ = new QTabWidget(content);
    curves_ = new PruningCurvePlot;
    memory_ = new PruningCurvePlot;
    curves_->setMinimumSize(200, 120);   // one readable axis; less and its ticks collide
    tabs_->addTab(curves_, tr("Pruning curves"));
    tabs_->addTab(memory_, tr("Loss vs memory"));
    layout->addWidget(tabs_, 1);
    setContent(content);
    syncEnabled();
}

AnalysisView::~AnalysisView() = default;

QWidget* AnalysisView::buildControls() {
    auto* box = new QWidget;
    auto* rows = new QVBoxLayout(box);
    rows->setContentsMargins(0, 0, 0, 0);

    auto* dataRow = new QHBoxLayout;
    auto* sourceLabel = new QLabel(tr("Measure on:"));
    source_ = new QComboBox;
    source_->addItem(tr("this text"), static_cast<int>(AnalysisSource::Text));
    source_->addItem(tr("the model's task"), static_cast<int>(AnalysisSource::Task));
    source_->addItem(tr("a text file"), static_cast<int>(AnalysisSource::File));
    source_->setToolTip(tr("The examples the loss is averaged over: the text above; fresh examples of the task the "
                           "model was trained on (its train.json); or a UTF-8 file with one example per line"));
    sourceLabel->setBuddy(source_);
    examples_ = new QSpinBox;
    examples_->setRange(1, 100000);
    examples_->setValue(200);
    examples_->setSuffix(tr(" examples"));
    examples_->setToolTip(tr("How many task examples (also for the loss-versus-memory curve)"));
    chooseFile_ = new QPushButton(tr("Choose file..."));
    fileLabel_ = new QLabel;
    connect(chooseFile_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Examples, one per line"), file_, tr("Text files (*.txt);;All files (*)"));
        if (!path.isEmpty()) setSourceFile(path);
    });
    connect(source_, QOverload<int>::of(&QComboBox::currentIndexChanged), this, [this] { syncEnabled(); });
    for (QWidget* w : std::initializer_list<QWidget*>{sourceLabel, source_, examples_, chooseFile_, fileLabel_}) dataRow->addWidget(w);
    dataRow->addStretch(1);
    rows->addLayout(dataRow);

    auto* actions = new QHBoxLayout;
    auto addButton = [&](AnalysisKind kind, const QString& text, const QString& tip) {
        auto* b = new QPushButton(text);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, [this, kind] { request(kind); });
        buttons_[kind] = b;
        actions->addWidget(b);
    };
    addButton(AnalysisKind::Importance, tr("Importance"),
              tr("Head importance I_h = mean |dL/d mask_h| (one backward pass per batch); shown in the head overview"));
    addButton(AnalysisKind::Ablation, tr("Ablation"),
              tr("The loss change when each head alone is pruned (heads batched); shown in the head overview"));
    actions->addSpacing(12);
    for (PruneOrder order : kOrders) {
        auto* c = new QCheckBox(QString::fromStdString(pruneOrderName(order)));
        c->setChecked(order == PruneOrder::Importance || order == PruneOrder::Random);
        orders_[order] = c;
        actions->addWidget(c);
    }
    orders_[PruneOrder::Gate]->setToolTip(tr("Lowest gate value first (models with head gates)"));
    step_ = new QSpinBox;
    step_->setRange(1, 100);
    step_->setValue(10);
    step_->setSuffix(tr(" % per step"));
    actions->addWidget(step_);
    addButton(AnalysisKind::Curves, tr("Pruning curves"),
              tr("Prune heads in each checked order, a step at a time, and plot accuracy and loss after each step"));
    actions->addSpacing(12);
    addButton(AnalysisKind::MemoryCurve, tr("Loss vs memory"),
              tr("Selective attention: shrink per-layer context budgets greedily and plot accuracy and loss against "
                 "the memory kept (the model's task)"));
    actions->addStretch(1);
    rows->addLayout(actions);

    auto* state = new QHBoxLayout;
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(220);
    progress_->setTextVisible(true);
    cancel_ = new QPushButton(tr("Cancel"));
    connect(cancel_, &QPushButton::clicked, this, &AnalysisView::cancelRequested);
    status_ = new QLabel;
    status_->setWordWrap(true);
    state->addWidget(progress_);
    state->addWidget(cancel_);
    state->addWidget(status_, 1);
    rows->addLayout(state);
    return box;
}

QString AnalysisView::explanation() const {
    return tr("<p>Which heads matter? Analyses run in the background on the examples chosen above; the current "
              "pruned heads stay pruned.</p>"
              "<p><b>Importance</b> (Michel et al. 2019): with &xi;<sub>h</sub> the mask of head h, "
              "<i>I<sub>h</sub> = E<sub>x</sub> |&part;L(x)/&part;&xi;<sub>h</sub>|</i>. <b>Ablation</b>: "
              "L(h pruned) &minus; L, one head at a time. Both colour the head overview.</p>"
              "<p><b>Pruning curves</b> remove heads a step at a time in each order (importance recomputed every "
              "step or once, gate value, ablation, random) and plot accuracy and loss. <b>Loss vs memory</b> "
              "(Leviathan et al. 2024): greedy per-layer context budgets against the share of the context kept.</p>");
}

void AnalysisView::setSourceFile(const QString& path) {
    file_ = path;
    fileLabel_->setText(QFileInfo(path).fileName());
    fileLabel_->setToolTip(path);
    source_->setCurrentIndex(source_->findData(static_cast<int>(AnalysisSource::File)));
    syncEnabled();
}

AnalysisSpec AnalysisView::specFor(AnalysisKind kind) const {
    AnalysisSpec spec;
    spec.kind = kind;
    spec.source = static_cast<AnalysisSource>(source_->currentData().toInt());
    spec.text = snapshot().valid() ? snapshot().text : QString();
    spec.file = file_;
    spec.examples = examples_->value();
    spec.stepPercent = step_->value();
    for (PruneOrder order : kOrders)
        if (orders_.at(order)->isChecked() && orders_.at(order)->isEnabled()) spec.orders.push_back(order);
    return spec;
}

void AnalysisView::request(AnalysisKind kind) {
    const AnalysisSpec spec = specFor(kind);
    if (kind == AnalysisKind::Curves && spec.orders.empty()) {
        showError(tr("Check at least one order for the pruning curves."));
        return;
    }
    if (spec.source == AnalysisSource::File && spec.file.isEmpty() && kind != AnalysisKind::MemoryCurve) {
        showError(tr("Choose a text file first."));
        return;
    }
    emit analysisRequested(spec);
}

void AnalysisView::setRunning(bool running) {
    running_ = running;
    if (running) {
        progress_->setValue(0);
        status_->setText(tr("Working..."));
    }
    syncEnabled();
}

void AnalysisView::setProgress(double fraction, const QString& text) {
    if (fraction < 0) {
        progress_->setRange(0, 0);   // busy, length unknown (loading)
    } else {
        progress_->setRange(0, 1000);
        progress_->setValue(static_cast<int>(fraction * 1000.0 + 0.5));
    }
    if (!text.isEmpty()) status_->setText(text);
}

void AnalysisView::showResult(const AnalysisResult& result) {
    progress_->setRange(0, 1000);
    progress_->setValue(1000);
    const QString name = snapshot().valid() ? snapshot().model->name : QString();
    switch (result.kind) {
    case AnalysisKind::Importance:
        status_->setText(tr("Importance on %1: see the head overview (colour by Head importance).").arg(result.source));
        break;
    case AnalysisKind::Ablation:
        status_->setText(tr("Ablation on %1 (loss %2 nats with nothing more pruned): see the head overview.")
                             .arg(result.source).arg(result.baselineLoss, 0, 'f', 4));
        break;
    case AnalysisKind::Curves:
        shownCurves_ = result.curves;
        curves_->setCurves(shownCurves_, tr("%1: pruning curves on %2").arg(name, result.source));
        tabs_->setCurrentWidget(curves_);
        status_->setText(tr("Pruning curves on %1.").arg(result.source));
        break;
    case AnalysisKind::MemoryCurve:
        shownMemory_ = {memorySeries(result.memoryCurve)};
        memory_->setCurves(shownMemory_, tr("%1: loss vs memory on %2").arg(name, result.source),
                           tr("share of the context kept (sum of per-layer budgets / full context)"));
        tabs_->setCurrentWidget(memory_);
        status_->setText(tr("%n budget step(s) on %1.", nullptr, static_cast<int>(result.memoryCurve.size())).arg(result.source));
        break;
    }
}

void AnalysisView::showError(const QString& message) {
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    status_->setText(message);
}

void AnalysisView::syncEnabled() {
    const bool valid = snapshot().valid();
    const auto& config = valid ? snapshot().model->config : ModelConfig{};
    const auto source = static_cast<AnalysisSource>(source_->currentData().toInt());
    examples_->setEnabled(source == AnalysisSource::Task || (config.mechanism<SelectiveAttentionConfig>() != nullptr));
    chooseFile_->setVisible(source == AnalysisSource::File);
    fileLabel_->setVisible(source == AnalysisSource::File);
    orders_.at(PruneOrder::Gate)->setEnabled((config.mechanism<HeadGatesConfig>() != nullptr));
    for (auto& [kind, b] : buttons_) b->setEnabled(valid && !running_);
    buttons_.at(AnalysisKind::MemoryCurve)->setEnabled(valid && !running_ && (config.mechanism<SelectiveAttentionConfig>() != nullptr));
    buttons_.at(AnalysisKind::MemoryCurve)->setVisible((config.mechanism<SelectiveAttentionConfig>() != nullptr));
    tabs_->setTabVisible(1, (config.mechanism<SelectiveAttentionConfig>() != nullptr));
    cancel_->setEnabled(running_);
}

void AnalysisView::refresh() {
    const RunSnapshot& run = snapshot();
    if (run.model != shownModel_ && (!shownModel_ || run.model->dir != shownModel_->dir)) {
        // Another model: the plotted results were not measured on it.
        shownCurves_.clear();
        shownMemory_.clear();
        curves_->setCurves({}, tr("Pruning curves: press the button to compute them"));
        memory_->setCurves({}, tr("Loss vs memory: press the button to compute it"), tr("share of the context kept"));
        status_->clear();
    }
    shownModel_ = run.model;
    syncEnabled();
}

void AnalysisView::exportFigure(const QString& path, const ExportOptions& options) {
    PruningCurvePlot* shown = tabs_->currentWidget() == memory_ ? memory_ : curves_;
    shown->exportFigure(path, options);
}

} // namespace headlight
