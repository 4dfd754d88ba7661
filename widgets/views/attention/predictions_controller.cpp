#include "predictions_controller.h"

#include "headlight/predictions.h"

#include "view_support.h"

#include "alike_ticker.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace headlight {

PredictionsController::PredictionsController(QCustomPlot* plot) : plot_(plot) {
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(0, 0, title_);

    QCPAxisRect* top = plot_->axisRect();   // row 1: horizontal bars, rank 0 on top
    bars_ = new QCPBars(top->axis(QCPAxis::atLeft), top->axis(QCPAxis::atBottom));
    actualBar_ = new QCPBars(top->axis(QCPAxis::atLeft), top->axis(QCPAxis::atBottom));
    bars_->setWidth(0.7);
    actualBar_->setWidth(0.7);
    top->axis(QCPAxis::atLeft)->setRangeReversed(true);
    top->axis(QCPAxis::atLeft)->grid()->setVisible(false);
    top->axis(QCPAxis::atBottom)->setLabel(QObject::tr("probability of the next token"));
    useAlikeTickLabels(top->axis(QCPAxis::atBottom));
    top->setRangeDrag(Qt::Orientations());
    top->setRangeZoom(Qt::Orientations());

    lossRect_ = new QCPAxisRect(plot_);   // row 2: loss along the text, zoomable sideways
    plot_->plotLayout()->addElement(2, 0, lossRect_);
    plot_->plotLayout()->setRowStretchFactor(1, 3);
    plot_->plotLayout()->setRowStretchFactor(2, 2);
    lossRect_->setRangeDrag(Qt::Horizontal);
    lossRect_->setRangeZoom(Qt::Horizontal);
    lossRect_->axis(QCPAxis::atLeft)->setLabel(QObject::tr("loss (nats)"));
    lossRect_->axis(QCPAxis::atLeft)->ticker()->setTickCount(4);   // a short panel in a single-column figure
    useAlikeTickLabels(lossRect_->axis(QCPAxis::atLeft));
    loss_ = new QCPGraph(lossRect_->axis(QCPAxis::atBottom), lossRect_->axis(QCPAxis::atLeft));
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    auto onLossAxes = [this](QCPItemStraightLine* line) {
        line->setClipAxisRect(lossRect_);
        for (QCPItemPosition* p : {line->point1, line->point2}) {
            p->setAxisRect(lossRect_);
            p->setAxes(lossRect_->axis(QCPAxis::atBottom), lossRect_->axis(QCPAxis::atLeft));
        }
        line->setSelectable(false);
    };
    marker_ = new QCPItemStraightLine(plot_);
    meanLine_ = new QCPItemStraightLine(plot_);
    onLossAxes(marker_);
    onLossAxes(meanLine_);
}

QCPAxisRect* PredictionsController::predictionRect() const { return plot_->axisRect(0); }

void PredictionsController::clearItems() {
    for (QCPAbstractItem* item : items_) plot_->removeItem(item);
    items_.clear();
}

QString PredictionsController::update(const RunSnapshot& run, const HeadSelection& selection, const PlotStyle& style) {
    clearItems();
    top_.clear();
    run_ = run;
    const int T = run.tokens();
    const FloatArray& logits = run.trace->logits;   // [T,V]
    if (T <= 0) return QObject::tr("This run has no tokens.");
    if (logits.rank() != 2 || logits.dim(0) != T || logits.dim(1) <= 0)
        return QObject::tr("This run kept no logits, so there are no predictions to show.");
    position_ = shownPosition(selection, T);

    const PositionPredictions predicted = predictionsAt(*run.trace, position_, kTopCount);
    for (const PredictedToken& p : predicted.top) top_ << Prediction{p.id, p.probability, run.vocabLabel(p.id)};
    actualRank_ = predicted.actualRank;
    actualProbability_ = predicted.actualProbability;

    QVector<double> keys, values, actualKeys, actualValues;
    QStringList labels;
    const double upper = std::min(1.0, std::max(top_.isEmpty() ? 0.0 : top_.front().probability, 1e-9) * 1.25);
    for (int r = 0; r < top_.size(); ++r) {
        keys << r;
        values << top_[r].probability;
        labels << top_[r].label;
        if (actualRank_ >= 0 && top_[r].id == run.trace->tokenIds[static_cast<size_t>(position_) + 1]) {
            actualKeys << r;
            actualValues << top_[r].probability;
        }
        auto* text = new QCPItemText(plot_);
        text->setClipAxisRect(predictionRect());
        text->position->setAxes(predictionRect()->axis(QCPAxis::atBottom), predictionRect()->axis(QCPAxis::atLeft));
        text->position->setCoords(top_[r].probability, r);
        // Beside the bar, or inside its end when the bar fills most of the axis (p near 1).
        const bool inside = top_[r].probability > 0.7 * upper;
        text->setPositionAlignment((inside ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
        text->setPadding(inside ? QMargins(0, 0, 4, 0) : QMargins(4, 0, 0, 0));
        text->setText(top_[r].probability < 0.0005 ? QObject::tr("<0.1%")
                                                   : QStringLiteral("%1%").arg(100.0 * top_[r].probability, 0, 'f', 1));
        text->setColor(inside ? style.background : style.foreground);
        text->setFont(style.font);
        items_ << text;
    }
    bars_->setData(keys, values, true);
    actualBar_->setData(actualKeys, actualValues, true);
    bars_->setBrush(faded(style.foreground, 70));
    bars_->setPen(Qt::NoPen);
    actualBar_->setBrush(style.accent);
    actualBar_->setPen(Qt::NoPen);
    QCPAxis* rank = predictionRect()->axis(QCPAxis::atLeft);
    setIndexTicks(rank, labels);
    rank->setTickLength(0, 3);   // ticks outside: inside they touch the value labels ("-0.1%")
    rank->setSubTickLength(0, 0);
    rank->setRange(-0.6, std::max(1, static_cast<int>(top_.size())) - 0.4);
    predictionRect()->axis(QCPAxis::atBottom)->setRange(0, upper);
    title_->setText(heading());

    // loss[i]: -ln p(token i+1 | tokens 0..i), so position i's predictions and loss[i] belong together.
    const FloatArray& loss = run.trace->loss;   // [T-1]
    QVector<double> lossKeys, lossValues;
    for (int64_t i = 0; i < loss.size(); ++i) {
        lossKeys << static_cast<double>(i);
        lossValues << loss.data()[i];
    }
    loss_->setData(lossKeys, lossValues, true);
    loss_->setPen(QPen(style.foreground, 1.5));
    loss_->setScatterStyle(lossKeys.size() <= 200 ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5) : QCPScatterStyle());
    QStringList tokenNames = tokenLabels(run);
    tokenNames.removeLast();   // the last token predicts nothing the text contains
    QCPAxis* along = lossRect_->axis(QCPAxis::atBottom);
    setTokenTicks(along, tokenNames);
    along->setRange(-0.5, std::max<int64_t>(1, loss.size()) - 0.5);
    along->setLabel(loss.empty() ? QObject::tr("a single token: there is no next token to score")
                                 : QObject::tr("position (loss of predicting the token after it)"));
    double maxLoss = 1;
    for (double v : lossValues) maxLoss = std::max(maxLoss, v);
    lossRect_->axis(QCPAxis::atLeft)->setRange(0, maxLoss * 1.1);

    marker_->setVisible(position_ < loss.size());
    marker_->point1->setCoords(position_, 0);
    marker_->point2->setCoords(position_, 1);
    marker_->setPen(QPen(style.accent, 2));
    const double mean = run.trace->meanLoss();
    meanLine_->setVisible(std::isfinite(mean));
    meanLine_->point1->setCoords(0, mean);
    meanLine_->point2->setCoords(1, mean);
    meanLine_->setPen(QPen(faded(style.foreground, 120), 1, Qt::DashLine));   // the mean loss
    applyStyle(plot_, style);
    return {};
}

QString PredictionsController::heading() const {
    if (!run_.valid() || position_ < 0) return {};
    QString text = QObject::tr("Next token after \u201c%1\u201d (position %2)")
                       .arg(run_.tokenLabel(position_))
                       .arg(position_);
    if (actualRank_ >= 0)
        text += QObject::tr("\nthe text continues with \u201c%1\u201d: p = %2, rank %3")
                    .arg(run_.tokenLabel(position_ + 1))
                    .arg(actualProbability_, 0, 'g', 3)
                    .arg(actualRank_ + 1);
    return text;
}

std::optional<int> PredictionsController::positionAt(const QPointF& pos) const {
    const int64_t count = run_.valid() ? run_.trace->loss.size() : 0;
    if (count <= 0 || !lossRect_->rect().contains(pos.toPoint())) return std::nullopt;
    const double key = lossRect_->axis(QCPAxis::atBottom)->pixelToCoord(pos.x());
    return static_cast<int>(std::clamp<int64_t>(std::lround(key), 0, count - 1));
}

QPointF PredictionsController::lossPoint(int position) const {
    const int64_t count = run_.valid() ? run_.trace->loss.size() : 0;
    const double value = position >= 0 && position < count ? run_.trace->loss.data()[position] : 0.0;
    return {lossRect_->axis(QCPAxis::atBottom)->coordToPixel(position), lossRect_->axis(QCPAxis::atLeft)->coordToPixel(value)};
}

QString PredictionsController::lossToolTip(int position) const {
    const int64_t count = run_.valid() ? run_.trace->loss.size() : 0;
    if (position < 0 || position >= count) return {};
    const double loss = run_.trace->loss.data()[position];
    return QObject::tr("position %1 \u201c%2\u201d \u2192 next \u201c%3\u201d\nloss %4 nats (p = %5)")
        .arg(position)
        .arg(run_.tokenLabel(position), run_.tokenLabel(position + 1))
        .arg(loss, 0, 'g', 4)
        .arg(std::exp(-loss), 0, 'g', 3);
}

} // namespace headlight
