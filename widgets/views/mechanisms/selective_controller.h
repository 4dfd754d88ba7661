#pragma once
// Turns a run's selective attention (Leviathan et al. 2024) into plotted data for one layer and one query:
// which earlier tokens the query no longer sees (red arcs, opacity min(F_ij, 1)), which token masked each of
// them (the largest S contribution), the S and F matrices, and under a memory budget which tokens every layer
// keeps and has evicted at a chosen step.
#include "plot_style.h"
#include "run_snapshot.h"
#include "views/mechanisms/mechanism_plot.h"

#include <QPoint>
#include <QString>
#include <optional>
#include <utility>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QCPBars;
class QCPColorMap;
class QCPCurve;
class QCPGraph;
class QCPLayoutGrid;
class QCPTextElement;

namespace headlight {

// One earlier token j that query i masks: F_ij > 0.
struct MaskedKey {
    int key = 0;                 // j
    double cumulative = 0;       // F_ij, subtracted from every head's logit for (i, j)
    double opacity = 0;          // min(F_ij, 1): how much of the key is masked away
    int topRow = -1;             // k <= i with the largest S_kj (earliest on ties)
    int maskedBy = -1;           // the token that contributed S_kj: k - 1 (S is shifted down one row)
    double topContribution = 0;  // S_kj of that row
};

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

    // The red arcs: one curve per opacity (8-bit alpha), arcs from the token that masked each key most to the key
    // (Leviathan et al. 2024), separated by NaN; at most the 16 most masked keys, the strongest drawn last.
    const std::vector<QCPCurve*>& maskCurves() const { return maskCurves_; }
    // The arcs drawn, as (masking token, masked key), in drawing order (the strongest last).
    const std::vector<std::pair<int, int>>& maskLines() const { return arrows_; }
    // Unused since the red lines start at the masking tokens (kept empty for the layout).
    QCPCurve* contributorCurve() const { return contributors_; }
    QCPColorMap* selectionMap() const { return sMap_; }         // S [T,T], key = j, value = i
    QCPColorMap* cumulativeMap() const { return fMap_; }        // F [T,T]
    QCPColorMap* evictionMap() const { return evictMap_; }      // [L,T] EvictionState, NaN = not captured

    // Tokens layer l keeps at step s: j <= s not evicted by then (evictedAt[j] == -1 or > s); every j <= s
    // without a budget. Empty when the layer was not captured.
    static std::vector<int> keptAt(const LayerTrace* layer, int tokens, int step);
    // Whether S and F are shown (the plot was last laid out tall enough for them).
    bool matricesShown() const;
    // Whether S and F are stacked (the plot was last laid out narrow, as a single-column figure is).
    bool matricesStacked() const;
    // Whether the budget picture takes room now (only when some layer ran with a budget).
    bool evictionPictureShown() const;

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
    void drawTokens(const LayerTrace& layer, const PlotStyle& style);
    void drawEvictions(const PlotStyle& style);
    // Shows the budget picture, or collapses its row to nothing (its title then says there was no budget).
    void showEvictionPicture(bool show);

    QCustomPlot* plot_;
    QCPTextElement *tokenTitle_, *sTitle_, *fTitle_, *evictTitle_;
    QCPAxisRect *tokenRect_, *sRect_, *fRect_, *evictRect_;
    QCPLayoutGrid* matrices_;
    QCPTextElement* matricesNote_;   // shown instead of S and F in a plot too short for them   // the S and F sections: side by side, or stacked in a narrow figure
    QCPLayoutGrid* evictRow_;   // the budget picture and its legend; collapsed when no layer had a budget
    QCPColorMap *sMap_, *fMap_, *evictMap_;
    QCPGraph *tokenDots_, *queryMark_, *evictedDots_;
    QCPCurve* contributors_;
    QCPBars* swatches_[3];               // legend colours, by EvictionState
    std::vector<QCPCurve*> maskCurves_;
    std::vector<std::pair<int, int>> arrows_;
    std::vector<MaskedKey> masked_;
    RunSnapshot snapshot_;
    const void* matricesOf_ = nullptr;   // the layer trace the heatmaps hold, so a new query does not refill them
    int layer_ = 0, query_ = -1, step_ = -1;
    QString notice_;
};

} // namespace headlight
