// Times model load, a forward pass without capture and with full capture, for one model and length.
//   bench_engine MODEL_DIR [--tokens N[,N...]] [--repeat R] [--device cpu|cuda] [--no-allocator-tuning]
// Prints JSON: per length, min and median milliseconds of each phase and the capture overhead ratio.
#include "headlight/engine.h"
#include "headlight/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

using namespace headlight;

namespace {

struct Stats {
    double min = 0, median = 0;
};

Stats stats(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v.front(), v[v.size() / 2]};
}

double timeRun(const Engine& engine, const RunRequest& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const Trace trace = engine.run(req);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (trace.loss.size() + 1 != static_cast<int64_t>(req.tokenIds.size())) std::abort();   // keep the work observable
    return ms;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_engine MODEL_DIR [--tokens 128,512] [--repeat 5] [--device cpu] [--no-allocator-tuning]\n");
        return 2;
    }
    std::string modelDir = argv[1], device = "cpu", tokenList = "128,512";
    int repeat = 5;
    bool tune = true;
    for (int i = 2; i < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--no-allocator-tuning") { tune = false; --i; continue; }
        if (i + 1 >= argc) { std::fprintf(stderr, "bench_engine: %s needs a value\n", opt.c_str()); return 2; }
        if (opt == "--tokens") tokenList = argv[i + 1];
        else if (opt == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
        else if (opt == "--device") device = argv[i + 1];
        else { std::fprintf(stderr, "bench_engine: unknown option %s\n", opt.c_str()); return 2; }
    }
    if (tune) tuneAllocatorForRepeatedRuns();
    try {
        // The first load in a process is what a user waits for; later loads reuse mapped memory.
        const Engine engine = Engine::load(modelDir, device);
        std::vector<double> loads;
        for (int r = 0; r < std::min(repeat, 3); ++r) loads.push_back(Engine::load(modelDir, device).loadMs());
        const ModelConfig& c = engine.config();

        nlohmann::json out;
        out["model"] = modelDir;
        out["device"] = engine.device();
        out["parameters"] = engine.parameterCount();
        out["layers_x_heads"] = std::to_string(c.nLayer) + "x" + std::to_string(c.nHead);
        out["repeat"] = repeat;
        out["allocator_tuning"] = tune;
        out["load_first_ms"] = engine.loadMs();
        out["load_again_ms"] = {{"min", stats(loads).min}, {"median", stats(loads).median}};

        std::mt19937 rng(1);
        size_t start = 0;
        while (start < tokenList.size()) {
            size_t comma = tokenList.find(',', start);
            if (comma == std::string::npos) comma = tokenList.size();
            const int T = std::stoi(tokenList.substr(start, comma - start));
            start = comma + 1;
            RunRequest plain;
            for (int t = 0; t < T; ++t) plain.tokenIds.push_back(static_cast<int64_t>(rng() % static_cast<unsigned>(c.vocabSize)));
            plain.capture = CaptureSpec::none();
            RunRequest full = plain;
            full.capture = CaptureSpec{};   // every layer, every head, logits

            timeRun(engine, plain);          // warm-up: allocator and thread pool
            timeRun(engine, full);
            std::vector<double> a, b;
            for (int r = 0; r < repeat; ++r) {   // interleaved so drift affects both alike
                a.push_back(timeRun(engine, plain));
                b.push_back(timeRun(engine, full));
            }
            const Stats sa = stats(a), sb = stats(b);
            out["lengths"].push_back({{"tokens", T},
                                      {"forward_no_capture_ms", {{"min", sa.min}, {"median", sa.median}}},
                                      {"forward_full_capture_ms", {{"min", sb.min}, {"median", sb.median}}},
                                      {"capture_overhead_ratio_median", sb.median / sa.median}});
        }
        std::cout << out.dump(2) << std::endl;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_engine: %s\n", e.what());
        return 1;
    }
    return 0;
}
