#include "views/mechanisms/fit_view.h"

#include "headlight/mechanisms/adaptive_span.h"
#include "headlight/mechanisms/head_gates.h"
#include "plot_style.h"
#include "trace_view.h"
#include "views/mechanisms/gates_view.h"
#include "views/mechanisms/spans_view.h"

#include <QLabel>
#include <QVBoxLayout>
#include <cmath>
#include <qcustomplot.h>

namespace headlight {

RunSnapshot headStateSnapshot(std::shared_ptr<const ModelInfo> model, const std::map<std::string, FloatArray>& heads) {
    auto trace = std::make_shared<Trace>();
    trace->tokenIds = {0};
    trace->tokens = {""};
    const ModelConfig& c = model->config;
    for (int l = 0; l < c.nLayer; ++l) {
        LayerTrace layer;
        layer.layer = l;
        for (int h = 0; h < c.nHead; ++h) layer.heads.push_back(h);
        for (const auto& [name, grid] : heads)
            layer[name] = FloatArray({c.nHead}, std::vector<float>(grid.data() + l * c.nHead, grid.data() + (l + 1) * c.nHead));
        trace->layers.push_back(std::move(layer));
    }
    RunSnapshot s;
    s.model = std::move(model);
    s.trace = trace;
    return s;
}

FitView::FitView(HeadSelection* selection, QWidget* parent) : QWidget(parent), selection_(selection) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    stepLabel_ = new QLabel(tr("Waiting for the first step..."), this);
    layout->addWidget(stepLabel_);
    lossPlot_ = new QCustomPlot(this);
    lossPlot_->setMinimumHeight(150);
    loss_ = lossPlot_->addGraph();
    loss_->setName(tr("loss (with the penalty)"));
    taskLoss_ = lossPlot_->addGraph();
    taskLoss_->setName(tr("task loss"));
    loss_->setPen(QPen(seriesColor(0), 1.5));
    taskLoss_->setPen(QPen(seriesColor(1), 1.5));
    lossPlot_->xAxis->setLabel(tr("step"));
    lossPlot_->yAxis->setLabel(tr("loss (nats)"));
    lossPlot_->legend->setVisible(true);
    lossPlot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    layout->addWidget(lossPlot_, 1);
}

void FitView::begin(const ModelConfig& fitted, const QString& name) {
    auto info = std::make_shared<ModelInfo>();
    info->name = name;
    info->config = fitted;
    model_ = info;
    steps_ = 0;
    loss_->data()->clear();
    taskLoss_->data()->clear();
    lossPlot_->replot();
    delete mechanism_;
    mechanism_ = nullptr;
    if (fitted.mechanism<HeadGatesConfig>()) mechanism_ = new GatesView(selection_, this);
    else if (fitted.mechanism<AdaptiveSpanConfig>()) mechanism_ = new SpansView(selection_, this);
    if (mechanism_) static_cast<QVBoxLayout*>(layout())->addWidget(mechanism_, 2);
    // A span fit searches each head's start first (docs/fitting.md): seconds on a small model, minutes on a large.
    stepLabel_->setText(fitted.mechanism<AdaptiveSpanConfig>()
                            ? tr("Searching each head's starting span before the first step (minutes on a large model)...")
                            : tr("Waiting for the first step..."));
}

void FitView::addStep(const TrainProgress& p) {
    if (!model_) return;
    ++steps_;
    if (std::isfinite(p.loss)) loss_->addData(p.step, p.loss);
    if (std::isfinite(p.taskLoss)) taskLoss_->addData(p.step, p.taskLoss);
    lossPlot_->rescaleAxes();
    lossPlot_->yAxis->setRangeLower(0);
    lossPlot_->replot();
    stepLabel_->setText(tr("Step %1 of %2: loss %3, task loss %4, accuracy on the batch %5")
                            .arg(p.step).arg(p.steps).arg(p.loss, 0, 'f', 4).arg(p.taskLoss, 0, 'f', 4).arg(p.metric, 0, 'f', 3));
    if (!mechanism_) return;
    mechanism_->setSnapshot(headStateSnapshot(model_, p.heads));
}

} // namespace headlight
