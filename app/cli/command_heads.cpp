// What each head does, headless (docs/head-roles.md): `roles` (role scores and labels of every head), `lens`
// (the logit lens and attention rollout, an HDF5 file) and `attribute` (direct logit attribution, JSON).
#include "cli_args.h"
#include "commands.h"
#include "run_input.h"

#include "headlight/attribution.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/head_roles.h"
#include "headlight/input_file.h"
#include "headlight/logit_lens.h"
#include "headlight/output_files.h"

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace headlight::cli {
namespace {

struct RoleInput {
    std::vector<int64_t> ids;
    std::string where;   // the argument (and line) it came from, for errors
};

// Text encoded as every command encodes it, cut to the model's positions; at least 2 tokens.
RoleInput textInput(const Engine& engine, const std::string& text, const std::string& where, const std::string& prefix) {
    RoleInput in{{}, where};
    try {
        in.ids = engine.encode(text);
    } catch (const Error& e) {
        throw Error(where, prefix + e.problem());
    }
    if (static_cast<int64_t>(in.ids.size()) > engine.config().nPositions) in.ids.resize(static_cast<size_t>(engine.config().nPositions));
    if (in.ids.size() < 2)
        throw Error(where, prefix + "a role input needs at least 2 tokens, got " + std::to_string(in.ids.size()));
    return in;
}

std::vector<int64_t> idList(const Args& a, const char* option) {
    std::vector<int64_t> ids;
    for (long long id : parseIntList(a.value(option), option)) ids.push_back(id);
    return ids;
}

std::vector<RoleInput> roleInputs(const Args& a, const Engine& engine) {
    std::vector<RoleInput> inputs;
    if (a.has("--text")) {
        if (a.value("--text").empty()) throw Error("--text", "is empty; give at least one character");
        inputs.push_back(textInput(engine, a.value("--text"), "--text", ""));
    } else if (a.has("--ids")) {
        inputs.push_back({idList(a, "--ids"), "--ids"});
        if (inputs.back().ids.size() < 2)
            throw Error("--ids", "a role input needs at least 2 tokens, got " + std::to_string(inputs.back().ids.size()));
    } else if (a.has("--data")) {
        const std::string path = a.value("--data");
        requireRegularFile(path);
        std::ifstream in(path, std::ios::binary);
        if (!in) throw Error(path, "cannot read the file");
        std::string line;
        for (int number = 1; std::getline(in, line); ++number) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) inputs.push_back(textInput(engine, line, path, "line " + std::to_string(number) + ": "));
        }
        if (inputs.empty()) throw Error(path, "is empty: give one text per line");
    } else {
        const auto n = static_cast<int>(a.integerIn("--repeated-random", 0, 1, 1 << 20));
        const auto seed = static_cast<uint64_t>(a.integerIn("--seed", 1, 0, (1LL << 62)));
        RoleInput in{repeatedRandomTokens(engine.tokenizer(), engine.config().vocabSize, n, seed), "--repeated-random"};
        if (static_cast<int64_t>(in.ids.size()) > engine.config().nPositions)
            throw Error("--repeated-random", std::to_string(n) + " tokens twice (" + std::to_string(in.ids.size()) +
                                                 " with the start token) is more than the model's " +
                                                 std::to_string(engine.config().nPositions) + " positions");
        inputs.push_back(std::move(in));
    }
    return inputs;
}

} // namespace

int rolesCommand(const std::vector<std::string>& argv) {
    const Args a(argv, withLoadOptions({"--text", "--ids", "--data", "--repeated-random", "--seed", "--frequencies", "--threshold"}, kLoadValued),
                 kLoadFlags);
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--text") + a.has("--ids") + a.has("--data") + a.has("--repeated-random") != 1)
        throw UsageError{"give exactly one of --text, --ids, --data or --repeated-random"};
    if (a.has("--seed") && !a.has("--repeated-random")) throw UsageError{"--seed: applies with --repeated-random only"};
    double threshold = kRoleThreshold;
    if (a.has("--threshold")) {
        try {
            threshold = std::stod(a.value("--threshold"));
        } catch (const std::exception&) {
            threshold = std::nan("");
        }
        if (!(threshold >= 0 && threshold <= 1)) throw Error("--threshold", "must be a number in 0..1, got \"" + a.value("--threshold") + "\"");
    }
    const Engine engine = Engine::load(a.positional()[0], loadOptions(a));
    const ModelConfig& c = engine.config();
    std::vector<double> counts;
    if (a.has("--frequencies")) counts = readTokenFrequencies(a.value("--frequencies"), engine.tokenizer(), c.vocabSize);
    std::vector<HeadRoles> perInput;
    for (const RoleInput& in : roleInputs(a, engine)) {
        RunRequest run;
        run.tokenIds = in.ids;
        run.capture = CaptureSpec::none();
        run.capture.roles = true;
        if (!counts.empty()) run.capture.rareKeys = rareTokenKeys(in.ids, counts, c.causal);
        run.reuseActivations = false;
        ArgumentNames names;
        names[ErrorInput::TokenIds] = {in.where, ""};
        const Trace trace = namingArguments(names, [&] { return engine.run(run); });
        perInput.push_back(headRoles(trace, c, threshold));
    }
    std::cout << headRolesJson(averageRoles(perInput, threshold), threshold) << "\n";
    return 0;
}

namespace {

// --text or --ids, cut to nothing: the lens and attribution read exactly the tokens given.
std::vector<int64_t> textOrIds(const Args& a, const Engine& engine) {
    if (a.has("--text") == a.has("--ids")) throw UsageError{"give exactly one of --text or --ids"};
    if (a.has("--ids")) return idList(a, "--ids");
    if (a.value("--text").empty()) throw Error("--text", "is empty; give at least one character");
    return engine.encode(a.value("--text"));
}

ArgumentNames inputNames(const Args& a) {
    ArgumentNames names;
    names[ErrorInput::Text] = {"--text", ""};
    names[ErrorInput::TokenIds] = {a.has("--ids") ? "--ids" : "--text", ""};
    names[ErrorInput::HeadMask] = {"--prune", ""};
    return names;
}

nlohmann::json numberOrNull(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

} // namespace

int lensCommand(const std::vector<std::string>& argv) {
    const Args a(argv, withLoadOptions({"--text", "--ids", "--top", "--prune", "--out"}, kLoadValued),
                 withLoadOptions({"--no-rollout"}, kLoadFlags));
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    const std::string out = a.required("--out");
    OutputFiles outputs({{"--out", out}}, filesInFolder(a.positional()[0]));
    const Engine engine = Engine::load(a.positional()[0], loadOptions(a));
    LensRequest request;
    request.tokenIds = textOrIds(a, engine);
    request.topK = static_cast<int>(a.integerIn("--top", 5, 1, 1 << 30));
    if (a.has("--prune")) request.headMask = parsePruneList(a.value("--prune"), engine.config(), "--prune");
    request.rollout = !a.has("--no-rollout");
    const LogitLens lens = namingArguments(inputNames(a), [&] { return logitLens(engine, request); });
    outputs.write(out, [&](const std::string& temp) { writeLensHdf5(lens, temp); });
    outputs.commit();
    // Per row: the mean probability of the target token and how often it is the top prediction.
    nlohmann::json rows = nlohmann::json::array();
    for (int r = 0; r < lens.rows; ++r) {
        double p = 0, top = 0, n = 0;
        for (int64_t i = 0; i < lens.tokens; ++i) {
            if (lens.targets[static_cast<size_t>(i)] < 0) continue;
            p += lens.targetProb.at({r, i});
            top += lens.targetRank.at({r, i}) == 1;
            ++n;
        }
        rows.push_back({{"row", r}, {"after", r == 0 ? "embeddings" : "layer " + std::to_string(r - 1)},
                        {"mean_target_prob", numberOrNull(n > 0 ? p / n : std::nan(""))},
                        {"top1_accuracy", numberOrNull(n > 0 ? top / n : std::nan(""))}});
    }
    const nlohmann::json summary = {{"out", out}, {"tokens", lens.tokens}, {"rows", lens.rows}, {"top", lens.topK},
                                    {"rollout", !lens.rollout.empty()}, {"per_row", rows}};
    std::cout << jsonText(summary) << "\n";
    return 0;
}

int attributeCommand(const std::vector<std::string>& argv) {
    const Args a(argv, withLoadOptions({"--text", "--ids", "--position", "--target", "--prune"}, kLoadValued), kLoadFlags);
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (!a.has("--position")) throw UsageError{"--position I is required (the token whose logit to split)"};
    const Engine engine = Engine::load(a.positional()[0], loadOptions(a));
    AttributionRequest request;
    request.tokenIds = textOrIds(a, engine);
    request.position = a.integer("--position", 0);
    if (a.has("--target")) request.target = a.integer("--target", 0);
    if (a.has("--prune")) request.headMask = parsePruneList(a.value("--prune"), engine.config(), "--prune");
    const Attribution attribution = namingArguments(inputNames(a), [&] { return attributeLogit(engine, request); });
    std::cout << attributionJson(attribution) << "\n";
    return 0;
}

} // namespace headlight::cli
