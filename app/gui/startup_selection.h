#pragma once
// The options that act on the first run (`headlight --head 1.0 --prune 0.1`): they need the model's size, known
// only once it ran, so main() keeps them here and applies them when the first snapshot is on screen.
#include "run_snapshot.h"

#include <QString>

namespace headlight {

class HeadSelection;
class Workspace;

struct StartupSelection {
    QString head;    // --head L.H ("" = not given)
    QString prune;   // --prune L.H,...

    bool empty() const { return head.isEmpty() && prune.isEmpty(); }
    // Selects and prunes what the options name on `run`'s model. Throws headlight::Error naming the option and
    // the model's valid range; nothing is changed then.
    void apply(const RunSnapshot& run, HeadSelection& selection, Workspace& workspace) const;
};

} // namespace headlight
