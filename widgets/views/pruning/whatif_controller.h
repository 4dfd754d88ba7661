#pragma once
// Turns a pruned run and its unpruned baseline into the what-if figure, one QCustomPlot with several axis rects:
// KL(before || after) per position as bars (the selected position highlighted), the top-5 predictions at that
// position before and after, how much pruning moved each head's attention (WhatIfDownstream), and the current
// head's attention before, after, and after - before as heatmaps.
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QList>
#include <QPoint>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPAbstractItem;
class QCPAxisRect;
class QCPLayoutGrid;
class QCPBars;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPTextElement;

namespace headlight {

class WhatIfDownstream;

enum class WhatIfSide { Before, After };

class WhatIfController {
public:
    explicit WhatIfController(QCustomPlot* plot);
    ~WhatIfController();

    // Draws the comparison of snapshot.baseline (before) with snapshot.trace (after); clears every plot when the
    // snapshot has no comparison (nothing pruned).
    void update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style);
    // Runs `draw` with a caption row (model, pruned heads, loss) on top of the figure, for exported files.
    void withCaption(const QString& caption, const PlotStyle& style, const std::function<void()>& draw);

    QCustomPlot* plot() const { return plot_; }
    bool cleared() const { return position_ < 0; }

    // (a) KL per position: key = position i, value = comparison.kl[i]; the highlight holds one bar at position().
    QCPAxisRect* klRect() const { return klRect_; }
    QCPBars* klBars() const { return klBars_; }
    QCPBars* highlightBar() const { return highlight_; }
    int position() const { return position_; }   // the position shown, -1 when cleared

    // (b) top-k at position(): key = rank (0 on top), value = probability; labels by rank.
    QCPAxisRect* topRect(WhatIfSide side) const;
    QCPBars* topBars(WhatIfSide side) const;
    QStringList topLabels(WhatIfSide side) const;

    // (c) the current head's attention: cell (key j, query i).
    QCPColorMap* beforeMap() const { return beforeMap_; }
    QCPColorMap* afterMap() const { return afterMap_; }
    QCPColorMap* differenceMap() const { return differenceMap_; }
    QCPAxisRect* mapRect(int index) const;   // 0 before, 1 after, 2 difference
    // Whether the plot was last laid out narrow (a single column): KL over the top-10 lists, heatmaps left out.
    bool stacked() const { return narrow_; }
    HeadRef head() const { return head_; }
    bool headShown() const { return headShown_; }
    // The value drawn at cell (key, query) of `map`.
    static double cell(QCPColorMap* map, int key, int query);

    // The figure's panels as a short dock shows them, one at a time: narrow, the KL bars and the top-10 lists;
    // wide, the predictions (KL, top-10 lists, per head) and the current head's attention.
    QStringList panelNames() const;
    // Shows panel `only` of panelNames() alone (the others collapsed to nothing), -1 every panel; kept across
    // narrow and wide layouts.
    void showPanel(int only);
    int shownPanel() const { return only_; }

    // (d) how much pruning moved each head's attention, [L,H].
    WhatIfDownstream* downstream() const { return downstream_.get(); }

    // Titles of the sections, in order: KL, top before, top after, map before, map after, difference, per head.
    QStringList titles() const;

    // The position under a widget pixel: a KL bar, or a heatmap row (query). Valid after a replot.
    std::optional<int> positionAt(QPoint pixel) const;
    // The head under a widget pixel in the per-head section.
    std::optional<HeadRef> headAt(QPoint pixel) const;

private:
    void clear();
    void drawKl(const RunSnapshot& snapshot);
    void drawTop(const RunSnapshot& snapshot, const PlotStyle& style);
    void drawMaps(const RunSnapshot& snapshot, const HeadSelection& selection);
    void styleMaps(const PlotStyle& style);
    void clearTopItems();

    QCustomPlot* plot_;
    // Stacks the sections (true) or puts them side by side; true when that changed.
    bool setNarrow(bool narrow);
    // Shows and collapses the sections for narrow_ and only_.
    void applyPanels();

    QCPLayoutGrid* upper_;   // KL | the two top-10 lists
    QCPLayoutGrid* lower_;   // before | after | difference
    QCPLayoutGrid* topLists_;
    bool narrow_ = false;
    int only_ = -1;
    QCPAxisRect* klRect_;
    QCPBars* klBars_;
    QCPBars* highlight_;
    QCPAxisRect* topRects_[2];
    QCPBars* topBars_[2];
    QStringList topLabels_[2];
    QList<QCPAbstractItem*> topItems_;   // the probability values beside the bars
    QCPAxisRect* mapRects_[3];
    QCPColorMap* beforeMap_;
    QCPColorMap* afterMap_;
    QCPColorMap* differenceMap_;
    QCPColorScale* weightScale_;       // shared by before and after
    QCPColorScale* differenceScale_;
    QCPItemRect* rowMarkers_[3];
    QCPTextElement* titles_[6];
    std::unique_ptr<WhatIfDownstream> downstream_;

    int position_ = -1;
    int tokens_ = 0;
    HeadRef head_;
    bool headShown_ = false;
    // The heatmaps are refilled only when the runs or the head change (4M cells each at 2048 tokens).
    std::shared_ptr<const Trace> drawnBefore_, drawnAfter_;
    std::optional<HeadRef> drawnHead_;
};

} // namespace headlight
