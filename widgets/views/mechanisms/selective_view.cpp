#include "views/mechanisms/selective_view.h"

#include "figure_export.h"
#include "views/mechanisms/selective_controller.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>

namespace headlight {

SelectiveView::SelectiveView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* plot = new QCustomPlot(content);
    controller_ = std::make_unique<SelectiveController>(plot);
    notice_ = new QLabel(content);
    notice_->setWordWrap(true);
    notice_->hide();

    auto* stepRow = new QHBoxLayout;
    stepSlider_ = new QSlider(Qt::Horizontal, content);
    stepBox_ = new QSpinBox(content);
    stepRow->addWidget(new QLabel(tr("Budget picture at step:"), content));
    stepRow->addWidget(stepSlider_, 1);
    stepRow->addWidget(stepBox_);
    connect(stepSlider_, &QSlider::valueChanged, this, &SelectiveView::setStep);
    connect(stepBox_, qOverload<int>(&QSpinBox::valueChanged), this, &SelectiveView::setStep);

    // One box and slider per layer in a row that scrolls: 48 layers fit a narrow window.
    auto* budgetBar = new QHBoxLayout;
    budgetBar->addWidget(new QLabel(tr("Memory budget per layer:"), content));
    auto* budgetScroll = new QScrollArea(content);
    budgetScroll->setObjectName(QStringLiteral("budgetScroll"));
    budgetScroll->setWidgetResizable(true);
    budgetScroll->setFrameShape(QFrame::NoFrame);
    budgetScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* budgetCells = new QWidget(budgetScroll);
    budgetRow_ = new QHBoxLayout(budgetCells);
    budgetRow_->setContentsMargins(0, 0, 0, 0);
    budgetRow_->addStretch(1);
    budgetScroll->setWidget(budgetCells);
    budgetBar->addWidget(budgetScroll, 1);
    applyBudget_ = new QPushButton(tr("Run with budgets"), content);
    applyBudget_->setToolTip(tr("Rerun the text keeping at most this many tokens per layer (0 = unlimited); "
                                "the token with the largest F leaves first."));
    budgetBar->addWidget(applyBudget_);
    connect(applyBudget_, &QPushButton::clicked, this, [this] {
        emit budgetRequested(budgets());
    });

    // A plot too short for the text and S and F shows one of them, chosen here: in the step row, so that showing
    // the switch never makes the dock taller.
    panelSwitch_ = new PanelSwitch({tr("Text and arcs"), tr("S and F")}, content, tr("Too short for both; show:"));
    panelSwitch_->hide();
    connect(panelSwitch_, &PanelSwitch::chosenChanged, this, [this](int panel) { controller_->choosePanel(panel); });
    connect(plot, &QCustomPlot::afterReplot, this, [this, plot] {
        if (plot->viewport() != plot->rect()) return;   // a figure drawn at its own size says nothing of the dock
        panelSwitch_->setVisible(!controller_->everyPanelFits());
    });
    stepRow->insertWidget(0, panelSwitch_);
    layout->addWidget(plot, 1);
    layout->addWidget(notice_);
    layout->addLayout(stepRow);
    layout->addLayout(budgetBar);
    setContent(content);

    connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        if (event->button() != Qt::LeftButton) return;
        if (const auto step = controller_->stepAtPixel(event->pos()))
            setStep(*step);
        else if (const auto token = controller_->tokenAtPixel(event->pos()))
            this->selection()->setPosition(*token);
    });
    mech::installHoverText(plot, [this](QPoint pixel) { return controller_->describeAt(pixel); });
}

SelectiveView::~SelectiveView() = default;

QString SelectiveView::title() const { return tr("Selective attention"); }

QString SelectiveView::explanation() const {
    const int zeroShot = snapshot().valid() ? snapshot().model->zeroShotSelectorHead : -1;
    const QString untrained = zeroShot < 0 ? QString()
        : tr("<p><b>Zero-shot:</b> this model was not trained with selective attention; head %1's logits select in "
             "every layer (View &gt; Selective attention, zero-shot). The arcs show what that selection masks, "
             "not what the model learned to forget, and its loss usually rises.</p>").arg(zeroShot);
    return untrained + tr("<p>With selective attention (Leviathan et al. 2024) a token can decide that an earlier token is no "
              "longer needed. One head's positive logits S<sub>kj</sub> say how much token k masks token j; the "
              "amounts add up over the following queries and are subtracted from every head's logits:</p>"
              "<p align=center>F<sub>ij</sub> = &Sigma;<sub>k&le;i</sub> S<sub>kj</sub>, &nbsp; "
              "logit'<sub>ij</sub> = logit<sub>ij</sub> &minus; F<sub>ij</sub></p>"
              "<p>As in Leviathan et al. 2024 the text is written out token by token, and for the selected query "
              "an arc above it runs from the token that masked each earlier token most (in bold red) to that "
              "token: darker means more masked (fully red: F &ge; 1), longer arcs are higher, at most the 16 "
              "strongest are drawn. A text too long for the panel shows a window: the tokens before the query "
              "and both ends of its strongest arcs, with &hellip; for each stretch left out; the title says how "
              "many arcs and tokens are shown. Hover a token for its F and who masked it. With a memory budget the tokens with "
              "the largest F are dropped for good: the bottom picture shows what each layer keeps at a step. "
              "Click a token to make it the query.</p>");
}

QCustomPlot* SelectiveView::plot() const { return controller_->plot(); }

QString SelectiveView::notice() const { return notice_->text(); }

std::vector<int> SelectiveView::budgets() const {
    std::vector<int> out;
    for (QSpinBox* box : budgetBoxes_) out.push_back(box->value());
    return out;
}

void SelectiveView::syncControls() {
    const RunSnapshot& run = snapshot();
    const int T = run.tokens(), L = run.layers();
    if (run.trace.get() != shownTrace_) {
        shownTrace_ = run.trace.get();
        step_ = -1;
        if (static_cast<int>(budgetBoxes_.size()) != L) {
            for (QWidget* cell : budgetCells_) delete cell;
            budgetCells_.clear();
            budgetBoxes_.clear();
            budgetSliders_.clear();
            for (int l = 0; l < L; ++l) {
                // A slider to drag (the run follows on release) and a box for exact values, kept in step.
                auto* cell = new QWidget(budgetRow_->parentWidget());
                auto* row = new QHBoxLayout(cell);
                row->setContentsMargins(0, 0, 0, 0);
                auto* box = new QSpinBox(cell);
                box->setRange(0, std::max(run.model->config.nPositions, 1));
                box->setSpecialValueText(tr("L%1: unlimited").arg(l));   // replaces the prefix too
                box->setPrefix(tr("L%1: ").arg(l));
                box->setToolTip(tr("Most tokens layer %1 keeps (0 = unlimited)").arg(l));
                auto* slider = new QSlider(Qt::Horizontal, cell);
                slider->setTracking(false);   // one run when the drag ends, not one per pixel
                slider->setMinimumWidth(80);
                slider->setToolTip(tr("Drag to set layer %1's budget; the text reruns when you let go (far left = unlimited)").arg(l));
                connect(slider, &QSlider::sliderMoved, box, &QSpinBox::setValue);
                connect(box, QOverload<int>::of(&QSpinBox::valueChanged), slider, [slider](int v) {
                    const QSignalBlocker block(slider);
                    slider->setValue(std::min(v, slider->maximum()));
                });
                connect(slider, &QSlider::valueChanged, this, [this, box](int v) {
                    box->setValue(v);
                    emit budgetRequested(budgets());
                });
                row->addWidget(box);
                row->addWidget(slider);
                budgetRow_->insertWidget(l, cell);
                budgetCells_.push_back(cell);
                budgetBoxes_.push_back(box);
                budgetSliders_.push_back(slider);
            }
        }
        if (auto* scroll = findChild<QScrollArea*>(QStringLiteral("budgetScroll")))   // room for the cells and a scroll bar
            scroll->setFixedHeight(budgetRow_->parentWidget()->sizeHint().height() +
                                   scroll->horizontalScrollBar()->sizeHint().height());
        for (QSlider* slider : budgetSliders_) {
            const QSignalBlocker block(slider);
            slider->setRange(0, std::max(T, 1));   // beyond the text's length a budget never binds
        }
        // The budgets this run used, as its trace records them (none: every layer unlimited, 0).
        const std::vector<int>& used = run.trace->contextBudget;
        for (int l = 0; l < L; ++l)
            budgetBoxes_[static_cast<size_t>(l)]->setValue(static_cast<size_t>(l) < used.size() ? used[static_cast<size_t>(l)] : 0);
    }
    const int query = mech::queryPosition(run, selection()->position());
    if (query != shownQuery_) {
        shownQuery_ = query;
        step_ = -1;   // a new query: the picture follows it
    }
    const QSignalBlocker a(stepSlider_), b(stepBox_);
    stepSlider_->setRange(0, std::max(T - 1, 0));
    stepBox_->setRange(0, std::max(T - 1, 0));
}

void SelectiveView::refresh() {
    syncControls();
    const QString reason = controller_->update(snapshot(), *selection(), style(), step_);
    if (!reason.isEmpty()) {
        setUnavailable(reason);
        return;
    }
    const QSignalBlocker a(stepSlider_), b(stepBox_);
    stepSlider_->setValue(controller_->step());
    stepBox_->setValue(controller_->step());
    notice_->setText(controller_->notice());
    notice_->setVisible(!controller_->notice().isEmpty());
}

void SelectiveView::setStep(int step) {
    if (step == controller_->step()) return;
    step_ = step;
    redrawStep();
}

void SelectiveView::redrawStep() {
    if (!snapshot().valid()) return;
    controller_->update(snapshot(), *selection(), style(), step_);
    const QSignalBlocker a(stepSlider_), b(stepBox_);
    stepSlider_->setValue(controller_->step());
    stepBox_->setValue(controller_->step());
}

double SelectiveView::figureHeightRatioAt(int widthPoints) const {
    const bool budget = controller_->evictionPictureShown();
    if (SelectiveController::stacksMatrices(layoutPixelsFor(QSize(widthPoints, widthPoints)).width())) return budget ? 2.0 : 1.9;
    return budget ? 0.74 : 0.68;
}

void SelectiveView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] { exportPlot(plot(), path, options); });
}

} // namespace headlight
