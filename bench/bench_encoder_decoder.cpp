// An encoder-decoder run capturing all three kinds of attention (every head of every encoder layer, decoder
// self-attention and cross-attention) against the same run capturing no attention (both return the logits), in
// the same process. Random
// token ids; an opus-mt-sized Marian model from `python3 bench/make_marian_model.py DIR` (6 + 6 layers of 8
// heads, d_model 512, 58101 tokens: random weights in the real layout).
//   bench_encoder_decoder MODEL_DIR [--tokens 128,512] [--repeat 3]
// Prints JSON: per length (source and target alike), min and median milliseconds of each (one of each per round,
// interleaved), the ratio of the mins (full capture / none), and the forward pass and copy-out of each's fastest.
#include "headlight/engine.h"
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

std::vector<double> timed(int repeat, const std::function<void()>& work) {
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        work();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms;
}

std::vector<int> parseList(const std::string& value) {
    std::vector<int> out;
    size_t at = 0;
    while (at < value.size()) {
        const size_t comma = value.find(',', at);
        out.push_back(std::stoi(value.substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_encoder_decoder MODEL_DIR [--tokens 128,512] [--repeat 3]\n");
        return 2;
    }
    std::vector<int> lengths = {128, 512};
    int repeat = 3;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string opt = argv[i], value = argv[i + 1];
        if (opt == "--repeat") repeat = std::stoi(value);
        if (opt == "--tokens") lengths = parseList(value);
    }
    tuneAllocatorForRepeatedRuns();
    try {
        const Engine engine = Engine::load(argv[1]);
        const ModelConfig& c = engine.config();
        if (!c.isEncoderDecoder()) throw Error(argv[1], "is not an encoder-decoder model");
        std::mt19937 rng(1);
        nlohmann::json out;
        out["model"] = argv[1];
        for (int n : lengths) {
            RunRequest req;
            std::uniform_int_distribution<int64_t> source(0, c.encoderDecoder->sourceVocabSize - 1), target(0, c.vocabSize - 1);
            for (int i = 0; i < n; ++i) req.sourceIds.push_back(source(rng));
            req.tokenIds.push_back(c.encoderDecoder->decoderStartTokenId);
            for (int i = 1; i < n; ++i) req.tokenIds.push_back(target(rng));
            RunRequest plain = req;
            plain.capture = CaptureSpec::none();
            plain.capture.logits = true;   // both return the logits: the difference is the attention kept
            engine.run(plain);   // warm-up
            Timings plainParts, allParts;   // of the fastest run of each: the forward pass and the copy out
            double plainBest = 1e300, allBest = 1e300;
            // Interleaved, one of each per round: a machine that slows down or speeds up over the rounds weighs
            // on both alike.
            std::vector<double> none, all;
            for (int r = 0; r < repeat; ++r) {
                none.push_back(timed(1, [&] {
                    const Trace t = engine.run(plain);
                    if (t.timings.totalMs() < plainBest) plainBest = t.timings.totalMs(), plainParts = t.timings;
                }).front());
                all.push_back(timed(1, [&] {
                    const Trace t = engine.run(req);
                    if (t.timings.totalMs() < allBest) allBest = t.timings.totalMs(), allParts = t.timings;
                }).front());
            }
            std::sort(none.begin(), none.end());
            std::sort(all.begin(), all.end());
            out["runs"].push_back({{"tokens", n},
                                   {"no_capture_ms", {{"min", none.front()}, {"median", none[none.size() / 2]}}},
                                   {"all_three_kinds_ms", {{"min", all.front()}, {"median", all[all.size() / 2]}}},
                                   {"ratio", all.front() / none.front()},
                                   {"parts_ms", {{"no_capture", {{"forward", plainParts.forwardMs}, {"export", plainParts.exportMs}}},
                                                 {"all_three_kinds", {{"forward", allParts.forwardMs}, {"export", allParts.exportMs}}}}}});
        }
        std::cout << out.dump(2) << std::endl;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
