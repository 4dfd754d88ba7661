// `headlight-cli run`: one forward pass, a JSON summary on stdout, optionally an HDF5 trace.
#include "cli_args.h"
#include "commands.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/output_files.h"
#include "headlight/trace_hdf5.h"
#include "headlight/trace_hdf5_stream.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <limits.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdlib.h>

namespace headlight::cli {
namespace {

std::string utcNow() {
    const std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buf;
}

std::string absolutePath(const std::string& p) {
    char buf[PATH_MAX];
    return realpath(p.c_str(), buf) ? std::string(buf) : p;
}

std::set<int> indexSet(const Args& a, const std::string& option) {
    std::set<int> out;
    if (!a.has(option)) return out;
    for (long long x : parseIntList(a.value(option), option)) {
        if (x < 0 || x > INT_MAX) throw Error(option, std::to_string(x) + " is not a valid index");
        out.insert(static_cast<int>(x));
    }
    return out;
}

} // namespace

int runCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--text", "--ids", "--prune", "--device", "--dtype", "--out", "--layers", "--heads", "--budget"},
                 {"--no-capture", "--no-logits"});
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--text") == a.has("--ids")) throw UsageError{"give exactly one of --text or --ids"};
    // Checked before the work: not empty ("--out \"\"" is a mistake, not "no output"), not the model's own files.
    const std::string out = a.value("--out");
    std::unique_ptr<OutputFiles> outputs;
    if (a.has("--out")) outputs = std::make_unique<OutputFiles>(std::vector<std::pair<std::string, std::string>>{{"--out", out}},
                                                                  filesInFolder(a.positional()[0]));

    const Engine engine = Engine::load(a.positional()[0], a.value("--device", "cpu"), a.value("--dtype", "float32"));
    RunRequest req;
    if (a.has("--text")) {
        if (a.value("--text").empty()) throw Error("--text", "is empty; give at least one character");
        try {
            req.tokenIds = engine.encode(a.value("--text"));
        } catch (const Error& e) {
            if (e.where() != "text") throw;
            throw Error("--text", e.problem());   // the argument the user gave, not the tokenizer's name for it
        }
    } else {
        for (long long id : parseIntList(a.value("--ids"), "--ids")) req.tokenIds.push_back(id);
    }
    if (a.has("--prune")) req.headMask = parsePruneList(a.value("--prune"), engine.config(), "--prune");
    if (a.has("--budget"))
        for (long long k : parseIntList(a.value("--budget"), "--budget")) {
            if (k < 0 || k > INT_MAX) throw Error("--budget", std::to_string(k) + " is not a budget (tokens per layer, 0 = unlimited)");
            req.contextBudget.push_back(static_cast<int>(k));
        }
    req.capture.layers = indexSet(a, "--layers");
    req.capture.heads = indexSet(a, "--heads");
    req.capture.enabled = !a.has("--no-capture");
    req.capture.logits = !a.has("--no-logits");
    req.reuseActivations = false;   // one run: nothing to recompute incrementally, so keep no activations for it

    // The engine names its inputs generically; here they came from arguments the user can see.
    auto namingArguments = [&](const auto& work) {
        try {
            return work();
        } catch (const Error& e) {
            if (e.where() == "context budget") throw Error("--budget", e.problem());
            if (e.where() == "capture size") throw Error("capture", e.problem() + " (--layers, --heads, --no-capture)");
            if (e.where() == "capture") throw Error(e.problem().rfind("layer", 0) == 0 ? "--layers" : "--heads", e.problem());
            if (e.where() != "input") throw;
            throw Error(a.has("--text") ? "--text" : "--ids", e.problem());
        }
    };
    Trace trace;
    double writeMs = 0;
    if (outputs) {
        Provenance p = {{"model_path", absolutePath(engine.modelDir())},
                        {"config_json", engine.config().toJson()},
                        {"text", a.value("--text")},
                        {"input", a.has("--text") ? "text" : "ids"},
                        {"device", engine.device()},
                        {"dtype", engine.dtype()},
                        {"pruned_heads", a.value("--prune")},
                        {"tokenizer", engine.tokenizer() ? engine.tokenizer()->kind() : "none"},
                        {"tool", "headlight-cli"},
                        {"tool_version", HEADLIGHT_VERSION},
                        {"created_utc", utcNow()}};
        // Each layer is written as soon as it is computed and released (long inputs, full capture); the file
        // is committed with the command's other outputs.
        const auto t0 = std::chrono::steady_clock::now();
        outputs->write(out, [&](const std::string& temp) {
            trace = namingArguments([&] { return runToTraceHdf5(engine, req, temp, p); });
        });
        outputs->commit();
        writeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() - trace.timings.totalMs();
    } else {
        trace = namingArguments([&] { return engine.run(req); });
    }

    nlohmann::json s;
    s["model"] = engine.modelDir();
    s["device"] = engine.device();
    s["dtype"] = engine.dtype();
    s["tokens"] = trace.tokenIds.size();
    // The ids decoded as Hugging Face's decode does (special tokens kept), not the display labels joined.
    if (engine.tokenizer()) s["text"] = engine.tokenizer()->decode(trace.tokenIds, false);
    const double mean = trace.meanLoss();
    s["mean_loss"] = std::isnan(mean) ? nlohmann::json(nullptr) : nlohmann::json(mean);
    s["perplexity"] = std::isnan(mean) ? nlohmann::json(nullptr) : nlohmann::json(std::exp(mean));
    int pruned = 0;
    for (float m : trace.headMask) pruned += m == 0.0f;
    s["pruned_heads"] = pruned;
    int captured = 0;   // a streamed run's trace holds no layers: they went to the file
    for (int l = 0; l < engine.config().nLayer; ++l) captured += req.capture.wantsLayer(l);
    s["captured_layers"] = captured;
    s["timings_ms"] = {{"load", engine.loadMs()}, {"forward", trace.timings.forwardMs}, {"loss", trace.timings.lossMs},
                       {"export", trace.timings.exportMs}, {"write", writeMs}};
    if (outputs) s["out"] = out;
    std::cout << jsonText(s) << std::endl;
    return 0;
}

} // namespace headlight::cli
