#include "views/heads/attribution_controller.h"

#include "alike_ticker.h"
#include "views/attention/view_support.h"

#include <QObject>
#include <cmath>
#include <qcustomplot.h>

namespace headlight {
namespace {

const char* const kKinds[] = {"head", "mlp", "embeddings", "bias"};

QString kindName(int k) {
    switch (k) {
    case 0: return QObject::tr("heads");
    case 1: return QObject::tr("MLPs");
    case 2: return QObject::tr("embeddings");
    default: return QObject::tr("bias terms");
    }
}

} // namespace

AttributionController::AttributionController(QCustomPlot* plot) : plot_(plot) {
    plot_->plotLayout()->insertRow(0);
    titleElement_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(0, 0, titleElement_);
    for (int k = 0; k < 4; ++k) {
        auto* bars = new QCPBars(plot_->yAxis, plot_->xAxis);   // keys down the side: horizontal bars
        bars->setName(kindName(k));
        bars->setWidth(0.7);
        bars_.push_back(bars);
    }
    plot_->legend->setVisible(true);
    // Bottom right: the largest bars are on top, the smallest (near 0) at the bottom leave that corner free.
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    plot_->xAxis->setLabel(QObject::tr("contribution to the logit"));
    useAlikeTickLabels(plot_->xAxis);   // "-1.0", "-0.5", "0.0": one number of decimals
    plot_->yAxis->setRangeReversed(true);   // the largest term on top
}

QString AttributionController::update(const RunSnapshot& run, const HeadSelection& selection, const PlotStyle& style) {
    if (run.encoderDecoder())
        return QObject::tr("Attribution splits one stack's residual stream: it does not cover encoder-decoder models yet.");
    const int position = shownPosition(selection, run.tokens());
    if (!run.attribution || run.attribution->position != position)
        return QObject::tr("Attributing the prediction at token %1 on the worker...").arg(position);
    attribution_ = run.attribution;
    const Attribution& a = *attribution_;
    shown_ = a.largest(kShownTerms);
    QStringList labels;
    for (auto* bars : bars_) bars->data()->clear();
    double extent = 0;
    for (size_t row = 0; row < shown_.size(); ++row) {
        const AttributionTerm& t = a.terms[shown_[row]];
        int kind = 3;
        for (int k = 0; k < 4; ++k)
            if (t.kind == kKinds[k]) kind = k;
        bars_[static_cast<size_t>(kind)]->addData(static_cast<double>(row), t.value);
        extent = std::max(extent, std::abs(t.value));
        labels << QString::fromStdString(t.name);
    }
    for (int k = 0; k < 4; ++k) {
        const QColor c = seriesColor(k);
        bars_[static_cast<size_t>(k)]->setPen(QPen(c.darker(120)));
        bars_[static_cast<size_t>(k)]->setBrush(c);
    }
    setIndexTicks(plot_->yAxis, labels);
    plot_->yAxis->setRange(-0.6, static_cast<double>(shown_.size()) - 0.4);
    plot_->xAxis->setRange(-extent * 1.08 - 1e-9, extent * 1.08 + 1e-9);
    const QString token = a.targetText.empty() ? run.vocabLabel(a.target) : visibleToken(a.targetText);
    title_ = QObject::tr("Logit of \"%1\" after token %2 (%3): %4 = the sum of %5 terms")
                 .arg(token)
                 .arg(position)
                 .arg(run.tokenLabel(position))
                 .arg(a.logit, 0, 'f', 3)
                 .arg(a.terms.size());
    titleElement_->setText(title_);
    applyStyle(plot_, style);
    return {};
}

const AttributionTerm* AttributionController::termAt(const QPointF& pixel) const {
    if (!attribution_ || !plot_->axisRect()->rect().contains(pixel.toPoint())) return nullptr;
    const int row = static_cast<int>(std::lround(plot_->yAxis->pixelToCoord(pixel.y())));
    if (row < 0 || row >= static_cast<int>(shown_.size())) return nullptr;
    return &attribution_->terms[shown_[static_cast<size_t>(row)]];
}

} // namespace headlight
