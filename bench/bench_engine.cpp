// Times model load, a forward pass without capture, with one head captured, with one head captured and every
// head digested (the app's long runs: the four statistics and max/mean pictures of pooledCells(model) cells a
// side, headlight/session.h: 128 up to 256 MiB of pictures) and with full capture, for one model and length,
// and the peak resident memory of each (Linux: VmHWM, reset between phases). Per length it prints the pictures'
// cells and bin ("pooled") and the digests' peak against the plain pass's ("one_head_digests_peak_rss_ratio").
// The digests' cost: bench/gpt2-48x32.json (48 x 32 heads, `headlight-cli init --config ... --seed 1`) with
// --tokens 512,2048 --no-full-capture.
//   bench_engine MODEL_DIR [--tokens N[,N...]] [--repeat R] [--device cpu|cuda] [--no-allocator-tuning] [--what-if]
//                [--no-full-capture] [--memory-only]
// Prints JSON: per length, min and median milliseconds of each phase, the capture overhead ratio, and each
// phase against the FLOP limit: the forward pass's matrix-product work (forwardFlops) at the rate of a
// 1024^3 float32 product measured in the same run, before each length. --no-full-capture skips the full
// capture (every layer's [H,T,T] does not fit in memory at 8192 tokens); --memory-only runs each kind once
// for its peak memory and times nothing else.
// --what-if adds the pruning what-ifs of the app: a full run against an incremental run after toggling one
// head of the last layer (and of layer 0, where nothing can be reused), the run comparison, and single-head
// ablation batched against one scoreWithMask per head, on the same tokens.
#include "headlight/engine.h"
#include "headlight/flops.h"
#include "headlight/pruning.h"
#include "headlight/runtime.h"
#include "headlight/session.h"
#include "headlight/what_if.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
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

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double timeRun(const Engine& engine, const RunRequest& req, int expectFirstLayer = -1) {
    const auto t0 = std::chrono::steady_clock::now();
    const Trace trace = engine.run(req);
    const double ms = msSince(t0);
    if (trace.tokenIds.size() != req.tokenIds.size()) std::abort();   // keep the work observable
    if (expectFirstLayer >= 0 && trace.timings.firstLayerRun != expectFirstLayer) {
        std::fprintf(stderr, "bench_engine: run started at layer %d, expected %d\n", trace.timings.firstLayerRun, expectFirstLayer);
        std::exit(1);
    }
    return ms;
}

// Peak resident memory since the last reset, in MiB (0 where /proc is not there).
double peakRssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}
void resetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

nlohmann::json figures(const std::vector<double>& v) { return {{"min", stats(v).min}, {"median", stats(v).median}}; }

// Runs alternating between two masks that first differ at `layer`: every run after the first recomputes
// from `layer` on (with reuse on). Milliseconds per run.
std::vector<double> toggledRuns(Engine& engine, RunRequest req, int layer, int repeat) {
    const ModelConfig& c = engine.config();
    std::vector<float> a(static_cast<size_t>(c.nLayer * c.nHead), 1.0f), b = a;
    b[static_cast<size_t>(layer * c.nHead)] = 0.0f;
    req.headMask = a;
    engine.run(req);
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
        req.headMask = r % 2 ? a : b;
        ms.push_back(timeRun(engine, req, engine.reuseActivations() ? layer : 0));
    }
    return ms;
}

nlohmann::json whatIf(Engine& engine, const RunRequest& full, int repeat) {
    const ModelConfig& c = engine.config();
    nlohmann::json out;
    engine.setReuseActivations(false);
    const auto fullRuns = toggledRuns(engine, full, c.nLayer - 1, repeat);
    engine.setReuseActivations(true);
    const auto lastLayer = toggledRuns(engine, full, c.nLayer - 1, repeat);
    const auto firstLayer = toggledRuns(engine, full, 0, repeat);
    out["full_run_ms"] = figures(fullRuns);
    out["incremental_last_layer_ms"] = figures(lastLayer);
    out["incremental_layer0_ms"] = figures(firstLayer);
    out["speedup_last_layer_median"] = stats(fullRuns).median / stats(lastLayer).median;
    out["speedup_layer0_median"] = stats(fullRuns).median / stats(firstLayer).median;

    RunRequest pruned = full;
    pruned.headMask.assign(static_cast<size_t>(c.nLayer * c.nHead), 1.0f);
    pruned.headMask[0] = 0.0f;
    const Trace before = engine.run(full), after = engine.run(pruned);
    std::vector<double> compare;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        if (compareRuns(before, after).kl.size() != full.tokenIds.size()) std::abort();
        compare.push_back(msSince(t0));
    }
    out["compare_runs_ms"] = figures(compare);

    // Single-head ablation on this text: batched (heads on the batch axis, each layer's heads run from that
    // layer's recorded input) against one full forward per mask.
    ExampleSet data;
    data.add(nextTokenExample(full.tokenIds, std::vector<uint8_t>(full.tokenIds.size() - 1, 1)));
    ablateHeads(engine, data);   // warm-up: the batched shapes are new to the allocator
    auto t0 = std::chrono::steady_clock::now();
    const Ablation batched = ablateHeads(engine, data);
    const double batchedMs = msSince(t0);
    t0 = std::chrono::steady_clock::now();
    std::vector<float> mask(static_cast<size_t>(c.nLayer * c.nHead), 1.0f);
    const double base = scoreWithMask(engine, data, mask).loss;
    double worst = 0;
    for (size_t j = 0; j < mask.size(); ++j) {
        mask[j] = 0.0f;
        worst = std::max(worst, std::fabs(scoreWithMask(engine, data, mask).loss - base - batched.deltaLoss.data()[j]));
        mask[j] = 1.0f;
    }
    const double oneByOneMs = msSince(t0);
    out["ablation"] = {{"heads", c.nLayer * c.nHead}, {"batched_ms", batchedMs}, {"one_by_one_ms", oneByOneMs},
                       {"speedup", oneByOneMs / batchedMs}, {"max_abs_delta_loss_difference", worst}};
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_engine MODEL_DIR [--tokens 128,512] [--repeat 5] [--device cpu] [--no-allocator-tuning] [--what-if] [--no-full-capture] [--memory-only]\n");
        return 2;
    }
    std::string modelDir = argv[1], device = "cpu", tokenList = "128,512";
    int repeat = 5;
    bool tune = true, whatIfs = false, fullCapture = true, memoryOnly = false;
    for (int i = 2; i < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--no-allocator-tuning") { tune = false; --i; continue; }
        if (opt == "--what-if") { whatIfs = true; --i; continue; }
        if (opt == "--no-full-capture") { fullCapture = false; --i; continue; }
        if (opt == "--memory-only") { memoryOnly = true; --i; continue; }
        if (i + 1 >= argc) { std::fprintf(stderr, "bench_engine: %s needs a value\n", opt.c_str()); return 2; }
        if (opt == "--tokens") tokenList = argv[i + 1];
        else if (opt == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
        else if (opt == "--device") device = argv[i + 1];
        else { std::fprintf(stderr, "bench_engine: unknown option %s\n", opt.c_str()); return 2; }
    }
    if (tune) tuneAllocatorForRepeatedRuns();
    try {
        // The first load in a process is what a user waits for; later loads reuse mapped memory.
        Engine engine = Engine::load(modelDir, device);
        engine.setReuseActivations(false);   // the plain figures are full forward passes
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
        out["weights_mib"] = static_cast<double>(engine.parameterCount()) * 4.0 / (1024.0 * 1024.0);
        out["rss_after_load_mib"] = peakRssMiB();
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
            RunRequest oneHead = plain;     // what a view of one head needs: its layer, its head, no logits
            oneHead.capture = CaptureSpec{};
            oneHead.capture.layers = {c.nLayer - 1};
            oneHead.capture.heads = {0};
            oneHead.capture.logits = false;
            RunRequest digested = oneHead;  // what the app's long runs ask: that head and every head digested
            digested.capture.headStats = true;
            digested.capture.pooledSize = pooledCells(c);

            // Peak memory of each kind of run on its own, then times interleaved so drift affects all alike.
            const int64_t bin = pooledBin(T, digested.capture.pooledSize);
            const nlohmann::json pooled = {{"cells", (T + bin - 1) / bin}, {"bin", bin}};
            nlohmann::json peak;
            std::vector<std::pair<const char*, const RunRequest*>> kinds = {{"no_capture", &plain}, {"one_head", &oneHead}, {"one_head_digests", &digested}};
            if (fullCapture) kinds.emplace_back("full_capture", &full);
            for (const auto& [name, req] : kinds) {
                resetPeakRss();
                timeRun(engine, *req);
                peak[name] = peakRssMiB();
            }
            const nlohmann::json peakRatio = peak["no_capture"].get<double>() > 0
                ? peak["one_head_digests"].get<double>() / peak["no_capture"].get<double>() : 0.0;
            if (memoryOnly) {
                out["lengths"].push_back({{"tokens", T}, {"pooled", pooled}, {"peak_rss_mib", peak},
                                          {"one_head_digests_peak_rss_ratio", peakRatio}});
                continue;
            }
            // The FLOP limit now, so that load from elsewhere on the machine weighs on both sides alike.
            const double rate = device == "cpu" ? matmulFlopsPerSecond() : 0.0;
            const double limitMs = rate > 0 ? forwardFlops(c, T) / rate * 1000.0 : 0.0;
            std::vector<double> a, b, h, g;
            for (int r = 0; r < repeat; ++r) {
                a.push_back(timeRun(engine, plain));
                h.push_back(timeRun(engine, oneHead));
                g.push_back(timeRun(engine, digested));
                if (fullCapture) b.push_back(timeRun(engine, full));
            }
            const Stats sa = stats(a), sh = stats(h), sg = stats(g);
            nlohmann::json length = {{"tokens", T},
                                     {"forward_no_capture_ms", {{"min", sa.min}, {"median", sa.median}}},
                                     {"forward_one_head_ms", {{"min", sh.min}, {"median", sh.median}}},
                                     {"one_head_ratio_median", sh.median / sa.median},
                                     {"forward_one_head_digests_ms", {{"min", sg.min}, {"median", sg.median}}},
                                     {"one_head_digests_ratio_median", sg.median / sa.median},
                                     {"pooled", pooled},
                                     {"peak_rss_mib", peak},
                                     {"one_head_digests_peak_rss_ratio", peakRatio}};
            if (fullCapture) {
                const Stats sb = stats(b);
                length["forward_full_capture_ms"] = {{"min", sb.min}, {"median", sb.median}};
                length["capture_overhead_ratio_median"] = sb.median / sa.median;
            }
            if (limitMs > 0) {
                length["flop_limit"] = {{"gflop", forwardFlops(c, T) / 1e9}, {"matmul_gflop_per_s", rate / 1e9}, {"ms", limitMs}};
                length["no_capture_over_flop_limit_min"] = sa.min / limitMs;
                length["one_head_over_flop_limit_min"] = sh.min / limitMs;
                length["one_head_over_flop_limit_median"] = sh.median / limitMs;
                length["one_head_digests_over_flop_limit_min"] = sg.min / limitMs;
            }
            if (whatIfs) length["what_if_full_capture"] = whatIf(engine, full, repeat);
            out["lengths"].push_back(length);
        }
        std::cout << out.dump(2) << std::endl;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_engine: %s\n", e.what());
        return 1;
    }
    return 0;
}
