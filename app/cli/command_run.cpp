// `headlight-cli run`: one run of a text or ids as the app runs it (headlight/session.h: cut to the model's length,
// the capture planned for long inputs, a pruned run compared with the unpruned one), a JSON summary on stdout,
// optionally an HDF5 trace.
#include "cli_args.h"
#include "commands.h"
#include "run_encoder_decoder.h"
#include "run_input.h"

#include "headlight/error.h"
#include "headlight/output_files.h"
#include "headlight/session.h"
#include "headlight/trace_hdf5_stream.h"

#include <chrono>
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

} // namespace

int runCommand(const std::vector<std::string>& argv) {
    const Args a(argv, withLoadOptions({"--text", "--ids", "--prune", "--out", "--layers", "--heads", "--budget", "--target",
                                        "--decoder-ids", "--max-new-tokens"}, kLoadValued),
                 withLoadOptions({"--no-capture", "--no-logits", "--translate"}, kLoadFlags));
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--text") == a.has("--ids")) throw UsageError{"give exactly one of --text or --ids"};
    // Checked before the work: not empty ("--out \"\"" is a mistake, not "no output"), not the model's own files.
    const std::string out = a.value("--out");
    std::unique_ptr<OutputFiles> outputs;
    if (a.has("--out")) outputs = std::make_unique<OutputFiles>(std::vector<std::pair<std::string, std::string>>{{"--out", out}},
                                                                  filesInFolder(a.positional()[0]));

    Session session(a.positional()[0], loadOptions(a));
    if (session.engine().config().isEncoderDecoder()) return runEncoderDecoder(a, session.engine(), outputs.get());
    for (const char* option : {"--target", "--decoder-ids", "--translate", "--max-new-tokens"})
        if (a.has(option)) throw Error(option, "is for encoder-decoder models (" + session.engine().config().modelType + " has one stack)");
    const RunArguments args = runArguments(a, session, true);
    // Activations are kept only for a pruned run to start from the first pruned layer of the unpruned one.
    const bool pruning = !args.input.headMask.empty() && prunedHeadCount(args.input.headMask) > 0;
    if (!pruning) session.engine().setReuseActivations(false);

    SessionRun run;
    double writeMs = 0;
    if (outputs) {
        const Engine& engine = session.engine();
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
            namingArguments(args.names, [&] {
                return writeTraceHdf5Streaming(temp, p, [&](const Engine::LayerSink& sink) {
                    run = session.run(args.input, sink);
                    return *run.trace;
                });
            });
        });
        outputs->commit();
        writeMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() - run.trace->timings.totalMs();
    } else {
        run = namingArguments(args.names, [&] { return session.run(args.input); });
    }

    nlohmann::json s = runSummary(session, run);
    const Trace& trace = *run.trace;
    s["timings_ms"] = {{"load", session.engine().loadMs()}, {"forward", trace.timings.forwardMs}, {"loss", trace.timings.lossMs},
                       {"export", trace.timings.exportMs}, {"write", writeMs}};
    if (outputs) s["out"] = out;
    std::cout << jsonText(s) << std::endl;
    return 0;
}

} // namespace headlight::cli
