#include "run_encoder_decoder.h"

#include "headlight/error.h"
#include "headlight/trace_hdf5.h"
#include "headlight/translation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

namespace headlight::cli {
namespace {

std::vector<int64_t> ids(const Args& a, const char* option) {
    std::vector<int64_t> out;
    for (long long id : parseIntList(a.value(option), option)) out.push_back(id);
    return out;
}

std::set<int> numbers(const Args& a, const char* option) {
    std::set<int> out;
    for (long long n : parseIntList(a.value(option), option)) {
        if (n < 0 || n > 1 << 20) throw Error(option, std::to_string(n) + " is not a layer or head number");
        out.insert(static_cast<int>(n));
    }
    return out;
}

nlohmann::json summary(const Engine& engine, const Trace& trace) {
    const ModelConfig& c = engine.config();
    nlohmann::json j;
    j["model"] = engine.modelDir();
    j["architecture"] = c.modelType;
    j["source_tokens"] = trace.sourceTokens.size();
    j["source_ids"] = trace.sourceIds;
    j["decoder_tokens"] = trace.tokenIds.size();
    j["decoder_ids"] = trace.tokenIds;
    const double loss = trace.meanLoss();
    if (!std::isnan(loss)) {
        j["loss"] = loss;
        j["perplexity"] = std::exp(loss);
    }
    if (!trace.logits.empty()) {   // the decoder's most likely next token at every position
        const int64_t T = trace.logits.dim(0), V = trace.logits.dim(1);
        std::vector<int64_t> next;
        for (int64_t t = 0; t < T; ++t) {
            const float* row = trace.logits.data() + t * V;
            next.push_back(std::max_element(row, row + V) - row);
        }
        j["predicted_next_ids"] = next;
    }
    j["captured"] = {{"encoder_layers", trace.encoderLayers.size()}, {"decoder_layers", trace.layers.size()},
                     {"heads_per_layer", trace.layers.empty() ? 0 : trace.layers.front().heads.size()}};
    j["timings_ms"] = {{"load", engine.loadMs()}, {"forward", trace.timings.forwardMs}, {"loss", trace.timings.lossMs},
                       {"export", trace.timings.exportMs}};
    return j;
}

} // namespace

std::vector<int64_t> decoderInput(const Args& a, const Engine& engine, const std::vector<int64_t>& sourceIds) {
    if (a.has("--decoder-ids") + a.has("--target") + a.has("--translate") > 1)
        throw UsageError{"give at most one of --target, --decoder-ids and --translate"};
    if (a.has("--max-new-tokens") && !a.has("--translate")) throw UsageError{"--max-new-tokens goes with --translate"};
    if (a.has("--decoder-ids")) return ids(a, "--decoder-ids");
    if (a.has("--translate")) {
        const int limit = static_cast<int>(a.integerIn("--max-new-tokens", 64, 1, 4096));
        return namingArguments({{ErrorInput::SourceIds, {a.has("--ids") ? "--ids" : "--text", ""}}},
                               [&] { return greedyTranslate(engine, sourceIds, limit).decoderIds; });
    }
    std::vector<int64_t> input{engine.config().encoderDecoder->decoderStartTokenId};
    if (a.has("--target")) {
        if (a.value("--target").empty()) throw Error("--target", "is empty; give the target text, or leave --target out");
        const auto target = namingArguments({{ErrorInput::Text, {"--target", ""}}}, [&] { return engine.encodeTarget(a.value("--target")); });
        input.insert(input.end(), target.begin(), target.end());
    }
    return input;
}

int runEncoderDecoder(const Args& a, const Engine& engine, OutputFiles* outputs) {
    for (const char* option : {"--prune", "--budget"})
        if (a.has(option)) throw Error(option, "is not available for encoder-decoder models yet");
    if (a.has("--selective")) throw Error("--selective", "needs a decoder-only model");
    RunRequest req;
    const ArgumentNames names = {{ErrorInput::Text, {"--text", ""}},
                                 {ErrorInput::SourceIds, {a.has("--ids") ? "--ids" : "--text", ""}},
                                 {ErrorInput::TokenIds, {a.has("--decoder-ids") ? "--decoder-ids" : a.has("--target") ? "--target" : "decoder input", ""}},
                                 {ErrorInput::CaptureLayers, {"--layers", ""}},
                                 {ErrorInput::CaptureHeads, {"--heads", ""}},
                                 {ErrorInput::CaptureSize, {"capture", " (use --layers, --heads or --no-capture)"}}};
    req.sourceIds = a.has("--ids") ? ids(a, "--ids") : namingArguments(names, [&] { return engine.encode(a.value("--text")); });
    req.tokenIds = decoderInput(a, engine, req.sourceIds);
    req.capture.enabled = !a.has("--no-capture");
    req.capture.logits = !a.has("--no-logits");
    if (a.has("--layers")) req.capture.layers = numbers(a, "--layers");
    if (a.has("--heads")) req.capture.heads = numbers(a, "--heads");
    const Trace trace = namingArguments(names, [&] { return engine.run(req); });

    nlohmann::json s = summary(engine, trace);
    if (engine.tokenizer() && trace.tokenIds.size() > 1)   // the target side as text, after the start token
        s["decoder_text"] = engine.tokenizer()->decodeTarget({trace.tokenIds.begin() + 1, trace.tokenIds.end()});
    if (outputs) {
        const std::string out = a.value("--out");
        const auto t0 = std::chrono::steady_clock::now();
        Provenance p = {{"model_path", engine.modelDir()},
                        {"config_json", engine.config().toJson()},
                        {"text", a.value("--text")},
                        {"target", a.value("--target")},
                        {"input", a.has("--text") ? "text" : "ids"},
                        {"device", engine.device()},
                        {"dtype", engine.dtype()},
                        {"tokenizer", engine.tokenizer() ? engine.tokenizer()->kind() : "none"},
                        {"tool", "headlight-cli"},
                        {"tool_version", HEADLIGHT_VERSION}};
        outputs->write(out, [&](const std::string& temp) { writeTraceHdf5(temp, trace, p); });
        outputs->commit();
        s["timings_ms"]["write"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        s["out"] = out;
    }
    std::cout << jsonText(s) << std::endl;
    return 0;
}

} // namespace headlight::cli
