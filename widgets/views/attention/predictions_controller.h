#pragma once
// What the model predicts: the ten likeliest next tokens at the selected position (softmax of its logits row),
// and the next-token loss along the whole text, with the selected position marked.
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QList>
#include <QPointF>
#include <QString>
#include <QVector>
#include <cstdint>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPAbstractItem;
class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPItemStraightLine;
class QCPTextElement;

namespace headlight {

struct Prediction {
    int64_t id = 0;
    double probability = 0;
    QString label;
};

class PredictionsController {
public:
    static constexpr int kTopCount = 10;

    explicit PredictionsController(QCustomPlot* plot);

    QCustomPlot* plot() const { return plot_; }
    QCPBars* bars() const { return bars_; }            // key = rank (0 on top), value = probability
    QCPGraph* lossGraph() const { return loss_; }      // key = position i, value = trace.loss[i]
    QCPAxisRect* predictionRect() const;
    QCPAxisRect* lossRect() const { return lossRect_; }

    // Redraws; returns why nothing can be shown (no logits), else "".
    QString update(const RunSnapshot& run, const HeadSelection& selection, const PlotStyle& style);

    int position() const { return position_; }
    QVector<Prediction> predictions() const { return top_; }
    // The actual next token's probability and rank (0 = likeliest) at the position; rank -1 at the last token.
    double actualProbability() const { return actualProbability_; }
    int actualRank() const { return actualRank_; }
    QString heading() const;

    // The loss-graph position under a widget pixel (valid after a replot), if any.
    std::optional<int> positionAt(const QPointF& pos) const;
    QPointF lossPoint(int position) const;
    QString lossToolTip(int position) const;

private:
    void clearItems();

    QCustomPlot* plot_;
    QCPTextElement* title_;
    QCPBars* bars_;
    QCPBars* actualBar_;   // the actual next token's bar, drawn over the others in the accent colour
    QCPAxisRect* lossRect_;
    QCPGraph* loss_;
    QCPItemStraightLine* marker_;
    QCPItemStraightLine* meanLine_;
    QList<QCPAbstractItem*> items_;   // probability labels
    RunSnapshot run_;
    int position_ = -1;
    QVector<Prediction> top_;
    double actualProbability_ = 0;
    int actualRank_ = -1;
};

} // namespace headlight
