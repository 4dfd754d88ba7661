#include "views/heads/lens_controller.h"

#include "alike_ticker.h"
#include "views/attention/view_support.h"

#include <QObject>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

namespace headlight {

QString lensRowLabel(int row) { return row == 0 ? QStringLiteral("emb") : QStringLiteral("L%1").arg(row - 1); }

LensController::LensController(QCustomPlot* plot) : plot_(plot) {
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(0, 0, title_);
    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    scale_ = new QCPColorScale(plot_);
    plot_->plotLayout()->addElement(1, 1, scale_);
    map_->setColorScale(scale_);
    map_->setInterpolate(false);
    scale_->axis()->setLabel(QObject::tr("top token's probability"));
    useAlikeTickLabels(scale_->axis());   // "0.0" ... "1.0", not "0" beside "0.8"
    column_ = new QCPItemRect(plot_);
    column_->setBrush(Qt::NoBrush);
    plot_->xAxis->setLabel(QObject::tr("position"));
    plot_->yAxis->setLabel(QObject::tr("after"));
}

QString LensController::update(const RunSnapshot& run, const HeadSelection& selection, const PlotStyle& style) {
    if (run.encoderDecoder())
        return QObject::tr("The logit lens reads one stack's residual stream: it does not cover encoder-decoder models yet.");
    if (!run.lens) return QObject::tr("Computing the logit lens on the worker...");
    if (run.lens->tokens != run.tokens()) return QObject::tr("The lens belongs to another run.");
    run_ = run;
    const bool newLens = lens_ != run.lens;
    lens_ = run.lens;
    rows_ = lens_->rows;
    tokens_ = static_cast<int>(lens_->tokens);
    if (newLens) {
        resizeGrid(map_, tokens_, rows_);
        for (int r = 0; r < rows_; ++r)
            for (int i = 0; i < tokens_; ++i) setGridValue(map_, i, r, lens_->topProbs.at({r, i, 0}));
        map_->setDataRange(QCPRange(0, 1));
        QStringList rowLabels;
        for (int r = 0; r < rows_; ++r) rowLabels << lensRowLabel(r);
        setIndexTicks(plot_->yAxis, rowLabels);
        setTokenTicks(plot_->xAxis, tokenLabels(run));
        plot_->xAxis->setRange(-0.5, tokens_ - 0.5);
        plot_->yAxis->setRange(-0.5, rows_ - 0.5);
    }
    applyHeatGradient(map_, style);
    title_->setText(title());
    const int position = shownPosition(selection, tokens_);
    column_->topLeft->setCoords(position - 0.5, rows_ - 0.5);
    column_->bottomRight->setCoords(position + 0.5, -0.5);
    column_->setPen(QPen(style.accent, 2));
    column_->setVisible(!style.print);
    applyStyle(plot_, style);
    style_ = style;
    placeLabels();
    return {};
}

QString LensController::title() const {
    return QObject::tr("Top prediction after each layer");
}

double LensController::plotted(LensCell c) const {
    if (!lens_ || c.row < 0 || c.row >= rows_ || c.position < 0 || c.position >= tokens_) return std::nan("");
    return gridValue(map_, c.position, c.row);
}

QString LensController::cellText(LensCell c) const {
    if (!lens_ || c.row < 0 || c.row >= rows_ || c.position < 0 || c.position >= tokens_) return {};
    QString text = run_.vocabLabel(lens_->topIds.at({c.row, c.position, 0}));
    if (text.size() > 7) text = text.left(6) + QChar(0x2026);
    return text;
}

void LensController::relabel() {
    if (lens_ && labelledColumns() != labelled_) placeLabels();
}

std::pair<int, int> LensController::labelledColumns() const {
    const double cellPixels = plot_->axisRect()->width() / std::max(1.0, plot_->xAxis->range().size());
    if (cellPixels < kMinLabelPixels) return {0, -1};
    return {std::max(0, static_cast<int>(std::floor(plot_->xAxis->range().lower))),
            std::min(tokens_ - 1, static_cast<int>(std::ceil(plot_->xAxis->range().upper)))};
}

void LensController::placeLabels() {
    const PlotStyle& style = style_;
    for (QCPItemText* label : labels_) plot_->removeItem(label);
    labels_.clear();
    labelled_ = labelledColumns();
    const auto [first, last] = labelled_;
    QFont font = plot_->font();
    font.setPointSizeF(std::max(6.0, font.pointSizeF() - 2));
    for (int i = first; i <= last; ++i)
        for (int r = 0; r < rows_; ++r) {
            auto* text = new QCPItemText(plot_);
            text->position->setCoords(i, r);
            text->setText(cellText({r, i}));
            text->setFont(font);
            // Light text on the dark (probable) end of the heat scale, dark text on the light end.
            text->setColor(lens_->topProbs.at({r, i, 0}) > 0.55 ? QColor(Qt::white) : style.foreground);
            text->setClipToAxisRect(true);
            labels_ << text;
        }
}

QString LensController::toolTip(LensCell c) const {
    if (!lens_ || c.row < 0 || c.row >= rows_ || c.position < 0 || c.position >= tokens_) return {};
    QString tip = QObject::tr("<b>%1</b>, position %2 (%3)<br>").arg(c.row == 0 ? QObject::tr("after the embeddings")
                                                                              : c.row == rows_ - 1 ? QObject::tr("the model's output")
                                                                                                   : QObject::tr("after layer %1").arg(c.row - 1))
                      .arg(c.position)
                      .arg(run_.tokenLabel(c.position).toHtmlEscaped());
    for (int k = 0; k < lens_->topK; ++k)
        tip += QStringLiteral("%1. %2 &nbsp; %3<br>")
                   .arg(k + 1)
                   .arg(run_.vocabLabel(lens_->topIds.at({c.row, c.position, k})).toHtmlEscaped())
                   .arg(lens_->topProbs.at({c.row, c.position, k}), 0, 'f', 3);
    const int64_t target = lens_->targets[static_cast<size_t>(c.position)];
    if (target >= 0)
        tip += QObject::tr("real next token %1: p = %2, rank %3")
                   .arg(run_.vocabLabel(target).toHtmlEscaped())
                   .arg(lens_->targetProb.at({c.row, c.position}), 0, 'f', 3)
                   .arg(lens_->targetRank.at({c.row, c.position}));
    return tip;
}

std::optional<LensCell> LensController::cellAt(const QPointF& pixel) const {
    if (!lens_ || !plot_->axisRect()->rect().contains(pixel.toPoint())) return std::nullopt;
    const int i = static_cast<int>(std::lround(plot_->xAxis->pixelToCoord(pixel.x())));
    const int r = static_cast<int>(std::lround(plot_->yAxis->pixelToCoord(pixel.y())));
    if (i < 0 || i >= tokens_ || r < 0 || r >= rows_) return std::nullopt;
    return LensCell{r, i};
}

} // namespace headlight
