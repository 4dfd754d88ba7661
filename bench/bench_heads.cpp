// What each head does, timed against a plain forward pass of the same tokens in the same run: the role scores
// (measured in the forward pass, CaptureSpec::roles, with and without token counts), the logit lens (the forward
// pass keeping the residual stream, then the final norm and output layer on every row), the lens with attention
// rollout, and one direct logit attribution. Random token ids; a GPT-2-small-sized model with 2048 positions from
// `headlight-cli init --config bench/gpt2-small-2k.json --seed 1 --out DIR`.
//   bench_heads MODEL_DIR [--tokens 512,2048] [--repeat 3]
// Prints JSON: per length, min and median milliseconds of each, and each min against the plain pass's min.
#include "headlight/attribution.h"
#include "headlight/engine.h"
#include "headlight/flops.h"
#include "headlight/head_roles.h"
#include "headlight/logit_lens.h"
#include "headlight/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

using namespace headlight;

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<double> timed(int repeat, const std::function<void()>& work) {
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        work();
        ms.push_back(msSince(t0));
    }
    std::sort(ms.begin(), ms.end());
    return ms;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_heads MODEL_DIR [--tokens 512,2048] [--repeat 3]\n");
        return 2;
    }
    std::vector<int> lengths = {512, 2048};
    int repeat = 3;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string opt = argv[i], value = argv[i + 1];
        if (opt == "--repeat") repeat = std::stoi(value);
        if (opt == "--tokens") {
            lengths.clear();
            size_t at = 0;
            while (at < value.size()) {
                const size_t comma = value.find(',', at);
                lengths.push_back(std::stoi(value.substr(at, comma - at)));
                at = comma == std::string::npos ? value.size() : comma + 1;
            }
        }
    }
    tuneAllocatorForRepeatedRuns();
    Engine engine = Engine::load(argv[1]);
    engine.setReuseActivations(false);
    const ModelConfig& c = engine.config();
    nlohmann::json out = {{"model", argv[1]}, {"layers", c.nLayer}, {"heads", c.nHead}, {"vocab", c.vocabSize}, {"repeat", repeat}};
    std::mt19937_64 rng(7);
    for (int T : lengths) {
        std::vector<int64_t> ids(static_cast<size_t>(T));
        std::uniform_int_distribution<int64_t> pick(0, c.vocabSize - 1);
        for (auto& id : ids) id = pick(rng);
        RunRequest plain;
        plain.tokenIds = ids;
        plain.capture = CaptureSpec::none();
        plain.reuseActivations = false;
        RunRequest roles = plain;
        roles.capture.roles = true;
        RunRequest rare = roles;
        std::vector<double> counts(static_cast<size_t>(c.vocabSize));
        for (int64_t id = 0; id < c.vocabSize; ++id) counts[static_cast<size_t>(id)] = static_cast<double>((id * 7919) % 1013);
        rare.capture.rareKeys = rareTokenKeys(ids, counts, c.causal);
        LensRequest lens;
        lens.tokenIds = ids;
        lens.rollout = false;
        LensRequest withRollout = lens;
        withRollout.rollout = true;
        AttributionRequest attribution;
        attribution.tokenIds = ids;
        attribution.position = T - 1;

        engine.run(plain);   // warm-up
        const auto plainMs = timed(repeat, [&] { engine.run(plain); });
        const auto rolesMs = timed(repeat, [&] { engine.run(roles); });
        const auto rareMs = timed(repeat, [&] { engine.run(rare); });
        const auto lensMs = timed(repeat, [&] { logitLens(engine, lens); });
        const auto rolloutMs = timed(repeat, [&] { logitLens(engine, withRollout); });
        const auto attributionMs = timed(repeat, [&] { attributeLogit(engine, attribution); });
        auto figures = [&](const std::vector<double>& v) {
            return nlohmann::json{{"min_ms", v.front()}, {"median_ms", v[v.size() / 2]}, {"ratio_to_forward", v.front() / plainMs.front()}};
        };
        // The lens's own floor: the forward pass's products plus the output layer once more per layer (its
        // matrix-product work beyond the forward pass is L x 2 T V D), as a ratio to the forward pass's.
        const double forward = forwardFlops(c, T);
        const double lensFloor = (forward + 2.0 * c.nLayer * T * static_cast<double>(c.vocabSize) * c.nEmbd) / forward;
        out["lengths"][std::to_string(T)]["lens_flop_floor_ratio"] = lensFloor;
        out["lengths"][std::to_string(T)].update({{"forward", figures(plainMs)},     {"roles", figures(rolesMs)},
                                             {"roles_with_counts", figures(rareMs)}, {"lens", figures(lensMs)},
                                             {"lens_and_rollout", figures(rolloutMs)}, {"attribution", figures(attributionMs)}});
        std::cerr << "bench_heads: " << T << " tokens done\n";
    }
    std::cout << out.dump(1) << "\n";
    return 0;
}
