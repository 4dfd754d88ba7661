#include "views/pruning/analysis_view.h"
#include "headlight/mechanisms/selective_attention.h"
#include "headlight/mechanisms/head_gates.h"

#include "flow_layout.h"
#include "pruning_curve_plot.h"

#include <QAction>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWidgetAction>

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
    // The controls wrap onto more rows in a narrow dock rather than scrolling sideways.
    controls_ = buildControls();
    layout->addWidget(controls_);
    tabs_ = new QTabWidget(content);
    tabs_->setDocumentMode(true);   // no frame around the plots: more of a short dock for them
    curves_ = new PruningCurvePlot;
    memory_ = new PruningCurvePlot;
    curves_->setPlaceholder(tr("Accuracy and loss as heads are pruned, one line per checked order, appear here: "
                               "press 'Curves'. 'Importance' and 'Ablation' colour the head overview."));
    memory_->setPlaceholder(tr("Accuracy and loss against the share of the context that greedy per-layer budgets "
                               "keep appear here: press 'Memory'."));
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
    rows->setSpacing(4);

    auto* dataRow = new FlowLayout;
    // The choices read as the label would ("measure on this text"): a label would take a row of its own.
    source_ = new QComboBox;
    source_->addItem(tr("On this text"), static_cast<int>(AnalysisSource::Text));
    source_->addItem(tr("On the model's task"), static_cast<int>(AnalysisSource::Task));
    source_->addItem(tr("On a text file"), static_cast<int>(AnalysisSource::File));
    source_->setToolTip(tr("The examples the loss is averaged over: the text above; fresh examples of the task the "
                           "model was trained on (its train.json); or a UTF-8 file with one example per line"));
    source_->setAccessibleName(tr("Measure on"));
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
    for (QWidget* w : std::initializer_list<QWidget*>{source_, examples_, chooseFile_, fileLabel_}) dataRow->addWidget(w);
    rows->addLayout(dataRow);

    auto* actions = new FlowLayout;
    auto addButton = [&](AnalysisKind kind, const QString& text, const QString& tip) {
        auto* b = new QToolButton;   // narrower than push buttons: four of them share a 310 px row
        b->setText(text);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, [this, kind] { request(kind); });
        buttons_[kind] = b;
        actions->addWidget(b);
    };
    addButton(AnalysisKind::Importance, tr("Importance"),
              tr("Head importance I_h = mean |dL/d mask_h| (one backward pass per batch); shown in the head overview"));
    addButton(AnalysisKind::Ablation, tr("Ablation"),
              tr("The loss change when each head alone is pruned (heads batched); shown in the head overview"));
    addButton(AnalysisKind::Curves, tr("Curves"),
              tr("Pruning curves: prune heads in each checked order, a step at a time, and plot accuracy and loss "
                 "after each step"));
    buildOrdersMenu();
    actions->addWidget(ordersButton_);
    addButton(AnalysisKind::MemoryCurve, tr("Memory"),
              tr("Loss vs memory (selective attention): shrink per-layer context budgets greedily and plot accuracy "
                 "and loss against the memory kept (the model's task)"));
    rows->addLayout(actions);

    progressRow_ = new QWidget;
    auto* state = new QHBoxLayout(progressRow_);
    state->setContentsMargins(0, 0, 0, 0);
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setTextVisible(true);
    cancel_ = new QPushButton(tr("Cancel"));
    connect(cancel_, &QPushButton::clicked, this, &AnalysisView::cancelRequested);
    state->addWidget(progress_, 1);
    state->addWidget(cancel_);
    progressRow_->hide();
    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->hide();
    rows->addWidget(progressRow_);
    rows->addWidget(status_);
    return box;
}

void AnalysisView::buildOrdersMenu() {
    // The curves' orders and step in a menu: five check boxes and a spin box would take two more rows of a
    // narrow dock.
    ordersButton_ = new QToolButton;
    ordersButton_->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(ordersButton_);
    auto* stepRow = new QWidget(menu);
    auto* stepLayout = new QHBoxLayout(stepRow);
    stepLayout->setContentsMargins(8, 2, 8, 2);
    step_ = new QSpinBox;
    step_->setRange(1, 100);
    step_->setValue(10);
    step_->setSuffix(tr(" % of heads"));
    step_->setToolTip(tr("The pruning curves' step: this share of all heads is pruned between two points"));
    connect(step_, QOverload<int>::of(&QSpinBox::valueChanged), this, &AnalysisView::syncEnabled);
    stepLayout->addWidget(new QLabel(tr("Prune per step:")));
    stepLayout->addWidget(step_);
    auto* stepAction = new QWidgetAction(menu);
    stepAction->setDefaultWidget(stepRow);
    menu->addAction(stepAction);
    menu->addSeparator();
    for (PruneOrder order : kOrders) {
        QAction* a = menu->addAction(QString::fromStdString(pruneOrderName(order)));
        a->setCheckable(true);
        a->setChecked(order == PruneOrder::Importance || order == PruneOrder::Random);
        connect(a, &QAction::toggled, this, &AnalysisView::syncEnabled);
        orders_[order] = a;
    }
    orders_[PruneOrder::Gate]->setToolTip(tr("Lowest gate value first (models with head gates)"));
    menu->setToolTipsVisible(true);
    ordersButton_->setMenu(menu);
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
    spec.target = snapshot().valid() ? snapshot().target : QString();
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

void AnalysisView::setStatus(const QString& text) {
    status_->setText(text);
    status_->setVisible(!text.isEmpty());
}

void AnalysisView::setRunning(bool running) {
    running_ = running;
    progressRow_->setVisible(running);
    if (running) {
        progress_->setValue(0);
        setStatus(tr("Working..."));
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
    if (!text.isEmpty()) setStatus(text);
}

void AnalysisView::showResult(const AnalysisResult& result) {
    progress_->setRange(0, 1000);
    progress_->setValue(1000);
    const QString name = snapshot().valid() ? snapshot().model->name : QString();
    switch (result.kind) {
    case AnalysisKind::Importance:
        setStatus(tr("Importance on %1: see the head overview (colour by Head importance).").arg(result.source));
        break;
    case AnalysisKind::Ablation:
        setStatus(tr("Ablation on %1 (loss %2 nats with nothing more pruned): see the head overview.")
                             .arg(result.source).arg(result.baselineLoss, 0, 'f', 4));
        break;
    case AnalysisKind::Curves:
        shownCurves_ = result.curves;
        curves_->setCurves(shownCurves_, tr("%1: pruning curves on %2").arg(name, result.source));
        tabs_->setCurrentWidget(curves_);
        setStatus({});   // the plot's title says what was measured on what
        break;
    case AnalysisKind::MemoryCurve:
        shownMemory_ = {memorySeries(result.memoryCurve)};
        memory_->setCurves(shownMemory_, tr("%1: loss vs memory on %2").arg(name, result.source),
                           tr("share of the context kept (sum of per-layer budgets / full context)"));
        tabs_->setCurrentWidget(memory_);
        setStatus({});
        break;
    }
}

void AnalysisView::showError(const QString& message) {
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    setStatus(message);
}

void AnalysisView::syncEnabled() {
    const bool valid = snapshot().valid();
    const auto& config = valid ? snapshot().model->config : ModelConfig{};
    const auto source = static_cast<AnalysisSource>(source_->currentData().toInt());
    // Shown only where it counts: the task's examples, or the loss-versus-memory curve's.
    examples_->setVisible(source == AnalysisSource::Task || (config.mechanism<SelectiveAttentionConfig>() != nullptr));
    chooseFile_->setVisible(source == AnalysisSource::File);
    fileLabel_->setVisible(source == AnalysisSource::File);
    orders_.at(PruneOrder::Gate)->setEnabled((config.mechanism<HeadGatesConfig>() != nullptr));
    QStringList checked;
    for (PruneOrder order : kOrders)
        if (orders_.at(order)->isChecked() && orders_.at(order)->isEnabled()) checked << orders_.at(order)->text();
    ordersButton_->setText(tr("Orders (%1)").arg(checked.size()));
    ordersButton_->setToolTip(tr("The pruning curves prune %1 % of the heads a step, in each checked order: %2")
                                  .arg(step_->value())
                                  .arg(checked.isEmpty() ? tr("none checked") : checked.join(QStringLiteral(", "))));
    for (auto& [kind, b] : buttons_) b->setEnabled(valid && !running_);
    buttons_.at(AnalysisKind::MemoryCurve)->setEnabled(valid && !running_ && (config.mechanism<SelectiveAttentionConfig>() != nullptr));
    buttons_.at(AnalysisKind::MemoryCurve)->setVisible((config.mechanism<SelectiveAttentionConfig>() != nullptr));
    tabs_->setTabVisible(1, (config.mechanism<SelectiveAttentionConfig>() != nullptr));
    tabs_->tabBar()->setVisible(config.mechanism<SelectiveAttentionConfig>() != nullptr);   // no bar for one tab
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
        setStatus({});
    }
    shownModel_ = run.model;
    syncEnabled();
}

void AnalysisView::exportFigure(const QString& path, const ExportOptions& options) {
    PruningCurvePlot* shown = tabs_->currentWidget() == memory_ ? memory_ : curves_;
    shown->exportFigure(path, options);
}

} // namespace headlight
