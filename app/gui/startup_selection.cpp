#include "startup_selection.h"

#include "head_selection.h"
#include "workspace.h"

#include "headlight/attention_stack.h"
#include "headlight/engine.h"
#include "headlight/error.h"

#include <algorithm>
#include <string>

namespace headlight {
namespace {

// `value` as an index (0 or more); Error naming `option` for anything else.
int parseIndex(const QString& value, const char* option) {
    bool ok = false;
    const int i = value.trimmed().toInt(&ok);
    if (!ok || i < 0)
        throw Error(option, "\"" + printableText(value.toStdString(), 40) + "\" is not an index (a whole number, 0 or more)");
    return i;
}

// Error unless 0 <= i < count: "--layer 7: not a layer of this model (it has 2: 0..1)".
void checkRange(int i, int count, const char* option, const std::string& what, const std::string& of) {
    if (i < count) return;
    throw Error(option, std::to_string(i) + " is not a " + what + " of " + of + " (it has " + std::to_string(count) +
                            (count > 0 ? ": 0.." + std::to_string(count - 1) : std::string()) + ")");
}

} // namespace

void StartupSelection::checkSyntax() const {
    if (!layer.isEmpty()) parseIndex(layer, "--layer");
    if (!position.isEmpty()) parseIndex(position, "--position");
}

void StartupSelection::apply(const RunSnapshot& run, HeadSelection& selection, Workspace& workspace) const {
    checkSyntax();
    // An encoder-decoder model's heads by row of its stack (4.1) or by kind (X0.1), as headlight-cli takes them.
    const ModelConfig config = run.model->fileConfig();
    HeadRef h = selection.current();
    if (!head.isEmpty()) {   // parsed like --prune, one head
        const auto m = parseStackedPruneList(head.toStdString(), config, "--head");
        const auto at = static_cast<int>(std::find(m.begin(), m.end(), 0.0f) - m.begin());
        h = {at / run.heads(), at % run.heads()};
    }
    if (!layer.isEmpty()) {
        const int l = parseIndex(layer, "--layer");
        checkRange(l, run.layers(), "--layer", "layer", "this model");
        if (!head.isEmpty() && h.layer != l)
            throw Error("--layer", std::to_string(l) + " and --head " + head.toStdString() + " name different layers");
        h = {l, std::min(h.head, run.heads() - 1)};
    }
    int p = -1;
    if (!position.isEmpty()) {
        p = parseIndex(position, "--position");
        checkRange(p, run.tokens(), "--position", "token position", "this text");
    }
    const std::vector<float> mask = prune.isEmpty() ? std::vector<float>{} : parseStackedPruneList(prune.toStdString(), config, "--prune");
    // Every option checked: now change the selection.
    selection.setCurrent(h);
    if (p >= 0) selection.setPosition(p);
    if (!prune.isEmpty()) workspace.setHeadMask(mask);
}

} // namespace headlight
