#include "startup_selection.h"

#include "head_selection.h"
#include "workspace.h"

#include "headlight/engine.h"

#include <algorithm>

namespace headlight {

void StartupSelection::apply(const RunSnapshot& run, HeadSelection& selection, Workspace& workspace) const {
    const ModelConfig& config = run.model->config;
    if (!head.isEmpty()) {   // parsed like --prune, one head
        const auto m = parsePruneList(head.toStdString(), config, "--head");
        const auto at = static_cast<int>(std::find(m.begin(), m.end(), 0.0f) - m.begin());
        selection.setCurrent({at / run.heads(), at % run.heads()});
    }
    if (!prune.isEmpty()) workspace.setHeadMask(parsePruneList(prune.toStdString(), config, "--prune"));
}

} // namespace headlight
