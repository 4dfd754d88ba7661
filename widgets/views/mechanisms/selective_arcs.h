#pragma once
// The text panel of the selective attention view, drawn as Leviathan et al. 2024 draw their variable-assignment
// example: every token written as text along one baseline, and for the selected query an arc above the text
// from the token that masked each earlier token most to that token (darker = more masked), each masking token
// written in bold red once however many arcs leave it. A text longer than the panel has room for shows a
// window: the tokens before the query, both ends of the strongest arcs, and an ellipsis for each stretch left out.
#include "plot_style.h"
#include "run_snapshot.h"

#include <QPoint>
#include <QString>
#include <optional>
#include <utility>
#include <vector>

class QCPAxisRect;
class QCPCurve;
class QCPItemText;
class QCPTextElement;
class QCustomPlot;

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

namespace selective {

// The width a window of tokens (ascending) takes: its tokens' `widths` and one `ellipsis` per stretch left out
// (between two of its tokens, before the first, after the last).
double windowWidth(const std::vector<int>& window, const std::vector<double>& widths, double ellipsis);

// The tokens (ascending) of a text whose tokens are `widths` wide that a panel `room` wide shows for `query`:
// all of them when they fit; else the query and the tokens just around it, then both ends (and a neighbour
// either side) of each of `arcs` (masker, key), strongest first, while they fit, then the tokens next to
// those, the ones that close a gap first, then the nearest the query. Ellipses count.
std::vector<int> tokenWindow(const std::vector<double>& widths, double ellipsis, int query,
                             const std::vector<std::pair<int, int>>& arcs, double room);

} // namespace selective

class SelectiveArcs {
public:
    static constexpr int kMinimumHeight = 72;   // pixels: a text row and arcs high enough to tell apart
    // Draws into `rect` (its axes hidden: the tokens are the labels) and writes its key into `title`.
    SelectiveArcs(QCustomPlot* plot, QCPAxisRect* rect, QCPTextElement* title);

    void clear();
    // The query's masked keys (any order) and the keys a memory budget evicted before the query; `summary` is
    // the title's first line. Lays the panel out now and again after every layout whose width changes the window.
    void show(const RunSnapshot& snapshot, int query, const std::vector<MaskedKey>& masked,
              const std::vector<int>& evicted, const QString& summary, const PlotStyle& style);

    // What each slot, left to right, holds: a token, or -1 for an ellipsis; and where its text is centred along
    // the x axis (one unit a pixel of the text as measured: a slot is as wide as its text and a small gap).
    const std::vector<int>& slotTokens() const { return slots_; }
    const std::vector<double>& slotCentres() const { return centres_; }
    std::optional<int> slotOf(int token) const;
    double xOf(int token) const;   // NaN when the window leaves it out
    std::optional<int> tokenAt(double x) const;   // the token whose text spans x, if any
    // Each slot's text (a token, or the ellipsis), in slot order.
    const std::vector<QCPItemText*>& texts() const { return texts_; }
    // The width (x units) the window takes, and the panel's room it was chosen for.
    double windowWidth() const { return width_; }
    double roomUsed() const { return room_; }

    // The arcs: one curve per pen alpha (min(F, 1) in 8 bits), each arc from its masker's x to its key's x,
    // separated by NaN; weakest first, so the strongest lie on top.
    const std::vector<QCPCurve*>& curves() const { return curves_; }
    // The arcs drawn, as (masking token, masked key), in drawing order (the strongest last).
    const std::vector<std::pair<int, int>>& lines() const { return lines_; }
    // Arcs there were to draw (a masker other than the key itself): more than lines() when some did not fit.
    int arcsWanted() const { return static_cast<int>(wanted_.size()); }
    // Whether a memory budget evicted `token` before the query could see it (its text is struck out).
    bool isEvicted(int token) const;

    std::optional<int> tokenAtPixel(QPoint pixel) const;
    // Hover text for an ellipsis: which tokens it stands for. Empty elsewhere.
    QString describeGapAt(QPoint pixel) const;

private:
    // The window and every item for the panel's width now; then placeRows().
    void rebuild();
    // The x and y ranges (the text centred, its band under the arcs) and the text's row for the panel now.
    void placeRows();
    double room() const;   // the panel's width for text now
    std::optional<int> slotAt(double x) const;
    std::optional<int> slotAtPixel(QPoint pixel) const;
    void writeTitle();

    QCustomPlot* plot_;
    QCPAxisRect* rect_;
    QCPTextElement* title_;
    std::vector<QCPItemText*> texts_;
    std::vector<QCPCurve*> curves_;
    std::vector<int> slots_;
    std::vector<double> centres_;
    std::vector<double> widths_;   // every token's slot width
    double ellipsisWidth_ = 0, width_ = 0, room_ = 0;
    std::vector<std::pair<int, int>> lines_;
    std::vector<std::pair<int, int>> wanted_;   // (masker, key), strongest first
    std::vector<double> strength_;              // min(F, 1) of wanted_
    std::vector<int> evicted_;
    RunSnapshot snapshot_;
    PlotStyle style_;
    QString summary_;
    int query_ = -1, titleWidth_ = 0;
};

} // namespace headlight
