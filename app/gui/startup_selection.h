#pragma once
// The options that act on the first run (`headlight --head 1.0 --layer 1 --position 5 --prune 0.1`): their
// range depends on the model and the text, known only once it ran, so main() keeps them here and applies them
// when the first snapshot is on screen.
#include "run_snapshot.h"

#include <QString>

namespace headlight {

class HeadSelection;
class Workspace;

struct StartupSelection {
    QString head;       // --head L.H ("" = not given)
    QString layer;      // --layer L: that layer, the head number kept (the view preset's, else 0)
    QString position;   // --position P: the query position, 0 = the first token (as `headlight-cli figure`)
    QString prune;      // --prune L.H,...

    bool empty() const { return head.isEmpty() && layer.isEmpty() && position.isEmpty() && prune.isEmpty(); }
    // What can be checked before any model is open: --layer and --position are integers (>= 0). Throws
    // headlight::Error naming the option.
    void checkSyntax() const;
    // Selects and prunes what the options name on `run`'s model. Throws headlight::Error naming the option and
    // the valid range; nothing is changed then.
    void apply(const RunSnapshot& run, HeadSelection& selection, Workspace& workspace) const;
};

} // namespace headlight
