#pragma once
// A model folder's view preset (view.json beside config.json): where its mechanism shows (the position, the
// head and the view to bring to the front) and which positions its task scores, so the app opens on the
// picture that teaches and reports the loss that the model card reports. Absent or unreadable: no preset.
#include <QString>
#include <vector>

namespace headlight {

struct ViewPreset {
    int positionFromEnd = 0;   // the selected position: T - positionFromEnd (0: keep the default, the last token)
    int layer = -1;            // the selected head (-1: keep the current one)
    int head = -1;
    QString view;              // the dock to bring to the front ("selective"), empty: the first mechanism
    // Which next-token predictions the task scores: "all", "last" (the answer at the end), "second_half"
    // (the repeated half of an induction text), "odd" (every prediction made at an odd position).
    QString scored = QStringLiteral("all");
    QString scoredLabel;       // in words, for the status bar: "the answer after ?x="
    QString note;              // one sentence for the status bar when the model opens
    QString caption;           // what to look at, shown under the text box while the model is open

    bool hasHead() const { return layer >= 0 && head >= 0; }
    // The head applies to a model of `layers` x `heads` (view.json may belong to another size of model).
    bool hasHeadIn(int layers, int heads) const { return hasHead() && layer < layers && head < heads; }
    // The position it selects in a text of `tokens` tokens, -1 when it selects none there.
    int positionIn(int tokens) const { return positionFromEnd > 0 && positionFromEnd <= tokens ? tokens - positionFromEnd : -1; }
};

// Reads `modelDir`/view.json (see docs/app.md); a default preset when there is none.
ViewPreset readViewPreset(const QString& modelDir);

// The loss indices (prediction at position i of token i+1, 0 <= i < predictions) that `rule` scores.
std::vector<int> scoredPredictions(const QString& rule, int predictions);

} // namespace headlight
