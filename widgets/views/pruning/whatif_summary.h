#pragma once
// The what-if panel's text lines, derived from a snapshot alone: which heads are pruned, how loss and perplexity
// changed, and for gated models whether pruning only closed gates left the logits unchanged (it must).
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QColor>
#include <QList>
#include <QString>

namespace headlight {

// Logits that moved by more than this after pruning only closed gates mean a bug (a closed gate is exactly 0).
constexpr double kUnchangedLogitTolerance = 1e-5;

// Heads whose trace->headMask [L,H] value is 0, in (layer, head) order; empty without a mask.
QList<HeadRef> prunedHeads(const RunSnapshot& snapshot);
// "Pruned 3 of 8 heads: 0.1, 1.2, 1.3", or "Nothing pruned".
QString prunedHeadsText(const RunSnapshot& snapshot);
// "Loss 0.103 -> 0.870 (+0.767 nats)  Perplexity 1.11 -> 2.39": the mean over every prediction.
QString lossSummaryText(const RunComparison& comparison);
// The headline: the loss over the predictions the model's task scores (view.json "scored") first, then the mean
// over every prediction, e.g.
//   "Loss on the repeated half: 0.004 -> 2.484 (+2.480 nats), 19 of 40 predictions scored"
//   "Mean over all 40 predictions: 4.197 -> 3.588 (-0.610 nats)  Perplexity 66.47 -> 36.17"
// One line (lossSummaryText(comparison)) when the task scores every prediction or the runs carry no loss.
QString lossSummaryText(const RunSnapshot& snapshot);
// What to do when nothing is pruned (how to prune a head, or use a preset).
QString howToPruneText();

struct GateCheck {
    enum class Verdict {
        NoGates,      // the model has no head gates, or nothing is pruned: no check line
        Unchanged,    // only closed gates pruned and the logits stayed within kUnchangedLogitTolerance
        Changed,      // only closed gates pruned, yet the logits moved: a bug
        OpenPruned,   // some pruned heads have open gates: the logits may change, nothing to check
        NotCaptured,  // the gates of some pruned heads were not captured in this run
    };
    Verdict verdict = Verdict::NoGates;
    int pruned = 0;        // heads pruned
    int open = 0;          // of those, heads whose gate is not exactly 0
    int notCaptured = 0;   // of those, heads whose layer's gates the run did not capture
    double maxAbsLogitChange = 0;
    QString text;          // the check line, "" for NoGates

    // The line's colour: the good colour for Unchanged, the masked red for Changed, else the text colour.
    QColor color(const PlotStyle& style) const;
};
GateCheck checkGates(const RunSnapshot& snapshot);

// A green readable on the style's background (the palette has no "good" role).
QColor goodColor(const PlotStyle& style);

} // namespace headlight
