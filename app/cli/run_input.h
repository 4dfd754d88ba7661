#pragma once
// What `run` and `figure` take from the command line for one run of a model: the text or the token ids, the heads
// pruned, the context budgets; and which argument gave each part, to name it in errors.
#include "cli_args.h"

#include "headlight/session.h"

#include <set>
#include <string>

namespace headlight::cli {

// The options of every command that loads a model to run it: --device, --dtype and zero-shot selective attention
// (--selective [--selector-head H], H = 0 by default; docs/model-format.md).
inline const std::set<std::string> kLoadValued = {"--device", "--dtype", "--selector-head"};
inline const std::set<std::string> kLoadFlags = {"--selective"};
std::set<std::string> withLoadOptions(std::set<std::string> options, const std::set<std::string>& load);
// UsageError for --selector-head without --selective or not an integer.
LoadOptions loadOptions(const Args& a);

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
