#pragma once
// The head grid (BertViz' model view, CircuitsVis' attention patterns): a layers x heads grid of thumbnails
// of every head's attention pattern, each framed in the colour of the overview's metric. This class holds the
// thumbnails, lays the grid out for a size and paints it; the view's canvas only forwards events.
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QImage>
#include <QLine>
#include <QList>
#include <QRect>
#include <QStringList>
#include <QSize>
#include <optional>
#include <utility>
#include <vector>

class QPainter;

namespace headlight {

class HeadOverviewModel;

class HeadGridController {
public:
    // Smallest thumbnail side in pixels: a 48 x 32 grid still fits a dock (the canvas scrolls below it).
    static constexpr int kMinCell = 7;
    // Most thumbnail pixels per side: longer texts are sampled (query rows) and max-pooled (keys).
    static constexpr int kMaxThumb = 48;
    // Cells at least this many pixels wide carry their head's role tag (HeadOverviewModel::roleTag).
    static constexpr int kMinTaggedCell = 22;

    // Makes the thumbnails for `run` (only when the run changes; a new selection keeps them).
    void setRun(const RunSnapshot& run);
    int layers() const { return layers_; }
    int heads() const { return heads_; }
    // Head (layer, head)'s thumbnail: side min(T, kMaxThumb), weights scaled to the head's largest; null when
    // the head was not captured.
    const QImage& thumbnail(int layer, int head) const;

    // The frame colours come from `metric` (the overview's table); null: no frames, no pruned/closed marks.
    void setMetric(const HeadOverviewModel* metric) { metric_ = metric; }
    const HeadOverviewModel* metric() const { return metric_; }

    // Lays the grid out in a widget of `size` with `font`'s labels (row "L0", column "H0").
    void layout(QSize size, const QFont& font);
    // The smallest widget that shows every cell at kMinCell pixels with its labels.
    QSize minimumSize(const QFont& font) const;
    // The height a widget `width` pixels wide needs to show the cells as large as that width allows, with the
    // labels and the legend: a figure's height follows from its width, so the thumbnails fill the page.
    int heightFor(int width, const QFont& font) const;
    // The frame legend's pieces as laid out: "Frame: <metric>", the colour scale, the marks' key (empty rects
    // when absent). They flow onto as few lines as the width allows.
    struct Legend {
        QRect name, scale, marks;
        QList<QRect> roles;      // one box per role tag shown ("ind = induction"), flowing like the rest
        QStringList roleTexts;
        int height = 0;
    };
    // Whether the thumbnails carry their head's role tag (cells of at least kMinTaggedCell pixels).
    bool roleTagsShown() const { return tagsShown_; }
    const Legend& legend() const { return legend_; }
    int cellSize() const { return cell_; }
    QRect cellRect(HeadRef head) const;
    std::optional<HeadRef> headAt(QPoint pixel) const;
    // Which column labels are drawn (every head when they fit, else every 2nd, 5th, ...).
    int columnLabelStep() const { return columnStep_; }
    int rowLabelStep() const { return rowStep_; }
    // Where the labels are drawn: the text's whole box (font height tall), centred on its cell.
    QRect rowLabelRect(int layer) const;
    // A row's label: "L3", or an encoder-decoder model's "E3", "D3", "X3".
    QString rowLabel(int layer) const;
    // An encoder-decoder model's grid is three blocks of rows (encoder, decoder, cross-attention), each under its
    // name: the blocks' first rows and names (empty for one stack), and where block k's name is drawn.
    const QList<int>& blockStarts() const { return blockStarts_; }
    const QStringList& blockNames() const { return blockNames_; }
    QRect blockLabelRect(int block) const;
    QRect columnLabelRect(int head) const;
    // The marks over a head's thumbnail: a closed gate is crossed out (two solid lines, as in the overview), a
    // head pruned for this run struck through once with a dashed line; either is dimmed.
    struct HeadMark {
        QList<QLine> solid, dashed;
        bool dimmed = false;
    };
    HeadMark markOf(HeadRef head) const;
    // The frame colour range: the overview's (HeadOverviewModel::colorRange); [0, 1] without a metric.
    std::pair<double, double> frameRange() const;
    // Hover text: "L3 H5 (KV head 1 of 2)", the metric's value, gate and pruning.
    QString toolTip(HeadRef head) const;

    void paint(QPainter& painter, const PlotStyle& style, const QList<HeadRef>& selected) const;

    // The frame colour of a metric value v in [low, high] (light to dark orange).
    static QColor frameColor(double v, double low, double high);

private:
    // The legend flowed into `width` pixels from (0, 0); the texts it shows.
    Legend legendFor(int width, const QFontMetrics& fm, bool withRoles = false) const;
    QString legendName() const;
    QString marksText() const;
    std::pair<QString, QString> scaleTexts() const;
    int scaleWidth(int width, const QFontMetrics& fm) const;
    int blockHeaders(const QFontMetrics& fm) const;   // the blocks' names' total height
    int blockIndex(int layer) const;                  // -1 for one stack
    int rowTop(int layer) const;
    RunSnapshot run_;
    QList<int> blockStarts_;
    QStringList blockNames_;
    int blockHeader_ = 0;   // each block name's line, above its rows
    int layers_ = 0;
    int heads_ = 0;
    std::vector<QImage> thumbs_;   // [L*H]
    const HeadOverviewModel* metric_ = nullptr;
    // Layout.
    int cell_ = 0;
    int gap_ = 2;
    QPoint origin_;          // top-left of cell (0, 0)
    int labelWidth_ = 0;     // row labels
    int labelHeight_ = 0;    // column labels
    int labelColumnWidth_ = 0;   // the widest column label
    int legendHeight_ = 0;   // the frame colour legend under the grid
    Legend legend_;
    bool tagsShown_ = false;
    int columnStep_ = 1;
    int rowStep_ = 1;
    QSize size_;
};

} // namespace headlight
