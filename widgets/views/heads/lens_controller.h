#pragma once
// The logit lens as a grid: positions across, the residual stream's rows up (the embeddings at the bottom, the
// model's output on top), each cell coloured by the probability of its top token and labelled with that token
// when the cells are wide enough. The numbers come from RunSnapshot::lens (computed on the worker).
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QList>
#include <QPointF>
#include <QString>
#include <optional>
#include <utility>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPItemText;
class QCPTextElement;

namespace headlight {

struct LensCell {
    int row = 0;        // 0: after the embeddings, r: after layer r-1
    int position = 0;
};

class LensController {
public:
    // Cells narrower than this many pixels carry no token text (the colour still shows the probability).
    static constexpr int kMinLabelPixels = 26;

    explicit LensController(QCustomPlot* plot);

    // Recomputes and redraws; returns why nothing can be drawn ("" when drawn).
    QString update(const RunSnapshot& run, const HeadSelection& selection, const PlotStyle& style);

    int rows() const { return rows_; }
    int tokens() const { return tokens_; }
    // The probability plotted in a cell (the top token's), and the token text written in it ("" when none).
    double plotted(LensCell cell) const;
    QString cellText(LensCell cell) const;
    int labelsShown() const { return static_cast<int>(labels_.size()); }
    // Hover: the row, the position's token, the top-k with probabilities, the real next token's probability and rank.
    QString toolTip(LensCell cell) const;
    std::optional<LensCell> cellAt(const QPointF& pixel) const;
    QCPColorMap* map() const { return map_; }
    QString title() const;

    // Writes the tokens into the cells wide enough for them (after every layout: the view's size and zoom
    // decide); does nothing when the labelled columns did not change.
    void relabel();

private:
    void placeLabels();
    // The first and last column wide enough to carry its token, {0, -1} when none is.
    std::pair<int, int> labelledColumns() const;

    QCustomPlot* plot_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPTextElement* title_;
    QCPItemRect* column_;
    std::shared_ptr<const LogitLens> lens_;
    RunSnapshot run_;
    QList<QCPItemText*> labels_;
    std::pair<int, int> labelled_{0, -1};
    PlotStyle style_;
    int rows_ = 0, tokens_ = 0;
};

// "emb", "L0", ...: the row's label (row r > 0 is after layer r - 1).
QString lensRowLabel(int row);

} // namespace headlight
