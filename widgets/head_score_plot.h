#pragma once
// One number per head as a layers x heads heatmap (layer 0 on top, heads across): head importance I_h or the
// loss change when a head is pruned alone (Michel et al. 2019). Each cell carries its value when the cells are
// big enough to read it; heads pruned beforehand are greyed and struck through. Used by
// `headlight-cli importance --figure` and `ablate --figure`.
#include "figure_export.h"
#include "plot_style.h"

#include "headlight/array.h"

#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemText;
class QCPTextElement;

namespace headlight {

enum class HeadScoreKind {
    Importance,          // I_h >= 0: a sequential scale from 0 to the largest value
    AblationDeltaLoss    // delta loss, either sign: a diverging scale symmetric around 0
};

class HeadScorePlot : public QWidget {
    Q_OBJECT
public:
    explicit HeadScorePlot(QWidget* parent = nullptr);

    // `values` [L,H]; `pruned` L*H row-major flags (empty = none pruned). Throws std::invalid_argument when
    // `values` is not a non-empty [L,H] array or `pruned` has another size.
    // `rowNames`: one per layer, the rows' tick labels ("E0", "D0", "X0" for an encoder-decoder model's stack);
    // empty: the layers' numbers.
    void setScores(const FloatArray& values, HeadScoreKind kind, const std::vector<bool>& pruned = {},
                   const QString& title = {}, const QStringList& rowNames = {});
    // The colour scale's label: "importance I_h" or "delta loss when pruned alone (nats)".
    static QString quantityName(HeadScoreKind kind);

    QCustomPlot* plot() const { return plot_; }
    QCPColorMap* colorMap() const { return map_; }
    QCPColorScale* colorScale() const { return scale_; }
    // Whether the per-cell values were drawn at the last layout (they are hidden when the cells are too small).
    bool cellLabelsShown() const { return labelsShown_; }
    const QStringList& rowNames() const { return rowNames_; }

    // Writes the figure (publication style unless options.publication is false). Throws headlight::Error.
    void exportFigure(const QString& path, const ExportOptions& options);

protected:
    void changeEvent(QEvent* event) override;

private:
    void draw(const PlotStyle& style);
    void fitCellLabels();   // after every layout: show the values only when they fit their cells

    QCustomPlot* plot_;
    QCPColorMap* map_;
    QCPColorScale* scale_;
    QCPTextElement* titleElement_;
    std::vector<QCPItemText*> labels_;   // one per cell, row-major; rebuilt by draw()
    FloatArray values_;
    HeadScoreKind kind_ = HeadScoreKind::Importance;
    std::vector<bool> pruned_;
    QString titleText_;
    QStringList rowNames_;
    QFont labelFont_;
    bool labelsShown_ = false;
};

} // namespace headlight
