#include "run_input.h"

#include "headlight/attention_stack.h"
#include "headlight/engine.h"
#include "headlight/error.h"

#include <climits>
#include <cmath>

namespace headlight::cli {

std::set<std::string> withLoadOptions(std::set<std::string> options, const std::set<std::string>& load) {
    options.insert(load.begin(), load.end());
    return options;
}

LoadOptions loadOptions(const Args& a) {
    LoadOptions options;
    options.device = a.value("--device", "cpu");
    options.dtype = a.value("--dtype", "float32");
    if (a.has("--selector-head") && !a.has("--selective")) throw UsageError{"--selector-head: applies with --selective only"};
    if (a.has("--selective")) options.selectorHead = static_cast<int>(a.integerIn("--selector-head", 0, 0, 1 << 20));
    return options;
}

namespace {

std::set<int> indexSet(const Args& a, const std::string& option) {
    std::set<int> out;
    if (!a.has(option)) return out;
    for (long long x : parseIntList(a.value(option), option)) {
        if (x < 0 || x > INT_MAX) throw Error(option, std::to_string(x) + " is not a valid index");
        out.insert(static_cast<int>(x));
    }
    return out;
}

nlohmann::json lossOrNull(double mean) { return std::isnan(mean) ? nlohmann::json(nullptr) : nlohmann::json(mean); }

} // namespace

RunArguments runArguments(const Args& a, const Session& session, bool idsAllowed) {
    RunArguments r;
    const Engine& engine = session.engine();
    const bool ids = idsAllowed && a.has("--ids");
    r.names[ErrorInput::Text] = {"--text", ""};
    r.names[ErrorInput::TokenIds] = {ids ? "--ids" : "--text", ""};
    r.names[ErrorInput::HeadMask] = {"--prune", ""};
    r.names[ErrorInput::ContextBudget] = {"--budget", ""};
    r.names[ErrorInput::CaptureLayers] = {"--layers", ""};
    r.names[ErrorInput::CaptureHeads] = {"--heads", ""};
    r.names[ErrorInput::CaptureSize] = {"capture", " (--layers, --heads, --no-capture)"};
    if (ids) {
        for (long long id : parseIntList(a.value("--ids"), "--ids")) r.input.tokenIds.push_back(id);
    } else {
        r.input.text = a.value("--text");
        if (r.input.text.empty()) throw Error("--text", "is empty; give at least one character");
    }
    // An encoder-decoder model: --text/--ids are the source; the decoder reads --target's tokens after its start
    // token, or --decoder-ids exactly. --prune then names rows of its attention stack (encoder, decoder, cross).
    const ModelConfig& c = engine.config();
    if (c.isEncoderDecoder()) {
        if (a.has("--target") && a.has("--decoder-ids")) throw UsageError{"give at most one of --target and --decoder-ids"};
        r.input.target = a.value("--target");
        if (a.has("--decoder-ids"))
            for (long long id : parseIntList(a.value("--decoder-ids"), "--decoder-ids")) r.input.decoderIds.push_back(id);
        r.names[ErrorInput::SourceIds] = r.names[ErrorInput::TokenIds];
        r.names[ErrorInput::Text] = {a.has("--target") ? "--target" : "--text", ""};
        r.names[ErrorInput::TokenIds] = {a.has("--decoder-ids") ? "--decoder-ids" : a.has("--target") ? "--target" : "decoder input", ""};
    } else {
        for (const char* option : {"--target", "--decoder-ids"})
            if (a.has(option)) throw Error(option, "is for encoder-decoder models (" + c.modelType + " has one stack)");
    }
    if (a.has("--prune")) r.input.headMask = parseStackedPruneList(a.value("--prune"), c, "--prune");
    if (a.has("--budget"))
        for (long long k : parseIntList(a.value("--budget"), "--budget")) {
            if (k < 0 || k > INT_MAX) throw Error("--budget", std::to_string(k) + " is not a budget (tokens per layer, 0 = unlimited)");
            r.input.contextBudget.push_back(static_cast<int>(k));
        }
    // The capture: the Session's plan (every head while they fit in memory, else one head and every head's
    // digest), unless the command line filters it.
    if (a.has("--layers") || a.has("--heads") || a.has("--no-capture") || a.has("--no-logits")) {
        CaptureSpec capture;
        capture.layers = indexSet(a, "--layers");
        capture.heads = indexSet(a, "--heads");
        capture.enabled = !a.has("--no-capture");
        capture.logits = !a.has("--no-logits");
        r.input.capture = capture;
    }
    return r;
}

nlohmann::json runSummary(const Session& session, const SessionRun& run) {
    const Engine& engine = session.engine();
    const Trace& trace = *run.trace;
    nlohmann::json s;
    s["model"] = engine.modelDir();
    s["device"] = engine.device();
    s["dtype"] = engine.dtype();
    s["tokens"] = trace.tokenIds.size();
    s["dropped_tokens"] = run.droppedTokens;   // cut off the end: the model takes n_positions tokens at most
    // The ids decoded as Hugging Face's decode does (special tokens kept), not the display labels joined.
    if (engine.tokenizer()) s["text"] = engine.tokenizer()->decode(trace.tokenIds, false);
    const double mean = trace.meanLoss();
    s["mean_loss"] = lossOrNull(mean);
    s["perplexity"] = std::isnan(mean) ? nlohmann::json(nullptr) : nlohmann::json(std::exp(mean));
    int pruned = 0;
    for (float m : trace.headMask) pruned += m == 0.0f;
    s["pruned_heads"] = pruned;
    if (run.pruned()) {
        const RunComparison& c = *run.comparison;
        double kl = 0;
        for (float k : c.kl) kl += k / static_cast<double>(c.kl.size());
        s["unpruned"] = {{"mean_loss", lossOrNull(run.baseline->meanLoss())},
                         {"perplexity", std::isnan(c.perplexityBefore) ? nlohmann::json(nullptr) : nlohmann::json(c.perplexityBefore)},
                         {"mean_kl", kl}, {"max_abs_logit_change", c.maxAbsLogitChange}};
    }
    int captured = 0;   // a streamed run's trace holds no layers: they went to the file
    for (int l = 0; l < engine.config().nLayer; ++l) captured += run.capture.wantsLayer(l);
    s["captured_layers"] = captured;
    s["captured_heads"] = run.capture.enabled ? capturedHeads(run.capture, engine.config().nHead).size() : 0;
    s["digests"] = run.capture.headStats || run.capture.pooledSize > 0;   // every head summarised (long inputs)
    return s;
}

} // namespace headlight::cli
