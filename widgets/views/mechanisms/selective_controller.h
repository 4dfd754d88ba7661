#pragma once
// Turns a run's selective attention (Leviathan et al. 2024) into plotted data for one layer and one query:
// which earlier tokens the query no longer sees (red arcs, opacity min(F_ij, 1)), which token masked each of
// them (the largest S contribution), the S and F matrices, and under a memory budget which tokens every layer
// keeps and has evicted at a chosen step.
#include "plot_style.h"
#include "run_snapshot.h"
#include "views/mechanisms/mechanism_plot.h"
#include "views/mechanisms/selective_arcs.h"

#include <QPoint>
#include <QString>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QCPBars;
class QCPColorMap;
class QCPCurve;
class QCPLayoutGrid;
class QCPTextElement;

namespace headlight {

class SelectiveController {
public:
    // Cell states of the eviction picture (layers x tokens at the chosen step).
    enum EvictionState { NotReadYet = 0, Evicted = 1, Kept = 2 };

    explicit SelectiveController(QCustomPlot* plot);

    // Draws layer selection.current().layer at the selected query (-1: the last token) and the eviction
    // picture at `step` (clamped to the run). Returns why it cannot (no selective attention), or empty.
    QString update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style, int step);

    QCustomPlot* plot() const { return plot_; }
    QCPAxisRect* tokenRect() const { return tokenRect_; }
    QCPAxisRect* selectionRect() const { return sRect_; }
    QCPAxisRect* cumulativeRect() const { return fRect_; }
    QCPAxisRect* evictionRect() const { return evictRect_; }

    int layer() const { return layer_; }   // the layer drawn; its trace may be missing (see notice())
    int query() const { return query_; }   // -1 before a run
    int step() const { return step_; }
    const std::vector<MaskedKey>& maskedKeys() const { return masked_; }

    // The text and its arcs (the window of a long text, the arcs it shows): see SelectiveArcs.
    const SelectiveArcs& arcs() const { return *arcs_; }
    const std::vector<QCPCurve*>& maskCurves() const { return arcs_->curves(); }
    const std::vector<std::pair<int, int>>& maskLines() const { return arcs_->lines(); }
    QCPColorMap* selectionMap() const { return sMap_; }         // S [T,T], key = j, value = i
    QCPColorMap* cumulativeMap() const { return fMap_; }        // F [T,T]
    QCPColorMap* evictionMap() const { return evictMap_; }      // [L,T] EvictionState, NaN = not captured

    // Tokens layer l keeps at step s: j <= s not evicted by then (evictedAt[j] == -1 or > s); every j <= s
    // without a budget. Empty when the layer was not captured.
    static std::vector<int> keptAt(const LayerTrace* layer, int tokens, int step);
    // Whether S and F are shown (the plot was last laid out tall enough for them, or they were chosen).
    bool matricesShown() const;
    // The two panels a plot too short for both shows one at a time: the text with its arcs, or S and F.
    static constexpr int kTextPanel = 0, kMatricesPanel = 1;
    void choosePanel(int panel);
    // Whether the plot was last laid out tall enough for every panel (else only the chosen one shows).
    bool everyPanelFits() const { return roomy_; }
    // Whether S and F are stacked (the plot was last laid out narrow, as a single-column figure is).
    bool matricesStacked() const;
    // Whether the budget picture takes room now (only when some layer ran with a budget).
    bool evictionPictureShown() const;
    // Whether a plot `widthPixels` wide stacks S over F (a single column) rather than putting them side by side.
    static bool stacksMatrices(int widthPixels);

    QString notice() const { return notice_; }
    // The token under `pixel` in the token line, or the query row of a heatmap.
    std::optional<int> tokenAtPixel(QPoint pixel) const;
    // The step (token column) under `pixel` in the eviction picture.
    std::optional<int> stepAtPixel(QPoint pixel) const;
    QString describeAt(QPoint pixel) const;

private:
    void buildLayout();
    void clearQuery();
    void drawMatrices(const LayerTrace* layer, const PlotStyle& style);
    // The keys the query masks (F > 0) and who masked each most, then the text and arcs for them.
    void drawTokens(const LayerTrace& layer, const PlotStyle& style);
    void drawEvictions(const PlotStyle& style);
    // Shows the budget picture, or collapses its row to nothing (its title then says there was no budget).
    void showEvictionPicture(bool show);

    QCustomPlot* plot_;
    QCPTextElement *tokenTitle_, *sTitle_, *fTitle_, *evictTitle_;
    QCPAxisRect *tokenRect_, *sRect_, *fRect_, *evictRect_;
    QCPLayoutGrid* matrices_;        // the S and F sections: side by side, or stacked in a narrow figure
    QCPLayoutGrid* evictRow_;   // the budget picture and its legend; collapsed when no layer had a budget
    QCPColorMap *sMap_, *fMap_, *evictMap_;
    QCPBars* swatches_[3];               // legend colours, by EvictionState
    std::unique_ptr<SelectiveArcs> arcs_;
    std::vector<MaskedKey> masked_;
    RunSnapshot snapshot_;
    const void* matricesOf_ = nullptr;   // the layer trace the heatmaps hold, so a new query does not refill them
    int layer_ = 0, query_ = -1, step_ = -1;
    int panelChoice_ = kTextPanel;
    int shownPanel_ = -1;   // -1: every panel
    bool roomy_ = true;
    QString notice_;
};

} // namespace headlight
