#pragma once
// What `run` and `figure` take from the command line for one run of a model: the text or the token ids, the heads
// pruned, the context budgets; and which argument gave each part, to name it in errors.
#include "cli_args.h"

#include "headlight/session.h"

namespace headlight::cli {

struct RunArguments {
    RunInput input;
    ArgumentNames names;   // --text or --ids, --prune, --budget, --layers, --heads
};

// `idsAllowed`: --ids may stand in for --text. Throws headlight::Error naming the argument at fault.
RunArguments runArguments(const Args& a, const Session& session, bool idsAllowed);

// The run's report for stdout: tokens (and how many were cut off), loss and perplexity, what was captured, and
// with heads pruned the unpruned run's loss and how the predictions moved (docs/pruning.md).
nlohmann::json runSummary(const Session& session, const SessionRun& run);

} // namespace headlight::cli
