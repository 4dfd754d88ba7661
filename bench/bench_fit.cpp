// Times fitting a mechanism to a frozen model against the least a step of it must do, in the same run:
//   bench_fit MODEL_DIR --text-file FILE [--batch 8] [--context 128] [--steps 20] [--device cpu]
// For the same batches of `context`-token windows of FILE (the model's own tokenizer):
//   forward_backward   the model as it is, every weight frozen: the forward pass from the embeddings and the
//                      backward pass of the loss to them (the activations' gradients through every layer, which
//                      any fitted parameter inside attention needs, and no weight gradient);
//   head_gates         steps of `fit --mechanism head_gates` (train() as the CLI runs it: Hard Concrete samples,
//                      the L0 penalty, clipping, AdamW on the gates alone, the timeline);
//   adaptive_span      steps of `fit --mechanism adaptive_span` (after its start search, which is not timed);
//   fine_tune          forward_backward with every weight learning (their gradients computed; no optimizer), for
//                      scale, last: its gradients raise the peak RSS.
// Each fit's steps are timed between its progress reports (the first `warm` steps dropped), so loading, the span
// search and the checkpoint at the end are not in the figure. Prints JSON: milliseconds per step of each, each
// fit over forward_backward, and the process's peak RSS after each phase (phases run in the order above; the
// fits add no AdamW state or gradient for frozen weights, so their peak stays near forward_backward's).
#include "checkpoint/checkpoint.h"
#include "headlight/error.h"
#include "headlight/fitting.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"
#include "training/token_windows.h"
#include "training/training_losses.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

using namespace headlight;
using Clock = std::chrono::steady_clock;

namespace {

double peakRssMiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct Options {
    std::string model, textFile, device = "cpu";
    int batch = 8, context = 128, steps = 20, warm = 3;
};

// Milliseconds per step of a frozen forward and backward (weightsLearn: the weights' gradients too).
double passMs(const Options& o, bool weightsLearn) {
    const ModelConfig config = ModelConfig::fromFile(o.model + "/config.json");
    const torch::Device device = parseDevice(o.device, "--device");
    Transformer model(config, readModelWeights(config, o.model, device), o.model);
    for (auto& [name, t] : model.named()) t.set_requires_grad(weightsLearn);
    const TokenWindows windows(o.model, o.textFile, o.context, config);
    std::mt19937_64 rng(1);
    std::vector<double> ms;
    for (int step = 0; step < o.steps + o.warm; ++step) {
        auto ids = torch::empty({o.batch, o.context}, torch::kLong), targets = torch::empty({o.batch, o.context}, torch::kLong);
        for (int b = 0; b < o.batch; ++b) {
            const ScoredExample ex = windows.sample(rng);
            for (int t = 0; t < o.context; ++t) {
                ids[b][t] = ex.ids[static_cast<size_t>(t)];
                targets[b][t] = ex.targets[static_cast<size_t>(t)];
            }
        }
        ids = ids.to(device);
        targets = targets.to(device);
        const auto t0 = Clock::now();
        torch::Tensor x = model.embed(ids).detach().set_requires_grad(true);
        const auto out = model.forwardFrom(0, x, ForwardOptions{});
        scoredCrossEntropy(out.logits, targets).backward();
        for (auto& [name, t] : model.named())
            if (t.grad().defined()) t.mutable_grad().reset();
        if (step >= o.warm) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return median(ms);
}

double fitMs(const Options& o, const std::string& mechanism, const std::string& out) {
    FitConfig f;
    f.modelDir = o.model;
    f.mechanism = mechanism;
    f.textFile = o.textFile;
    f.context = o.context;
    f.batchSize = o.batch;
    f.steps = o.steps + o.warm;
    f.device = o.device;
    f.logEvery = 1;
    f.checkpointEvery = f.steps;
    TrainConfig tc = f.trainConfig();
    std::vector<double> ms;
    auto last = Clock::now();
    train(tc, out, false, [&](const TrainProgress& p) {
        const auto now = Clock::now();
        if (p.step > o.warm) ms.push_back(std::chrono::duration<double, std::milli>(now - last).count());
        last = now;
    });
    return median(ms);
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--text-file") o.textFile = next();
        else if (a == "--batch") o.batch = std::stoi(next());
        else if (a == "--context") o.context = std::stoi(next());
        else if (a == "--steps") o.steps = std::stoi(next());
        else if (a == "--device") o.device = next();
        else if (o.model.empty()) o.model = a;
        else {
            std::fprintf(stderr, "usage: bench_fit MODEL_DIR --text-file FILE [--batch 8] [--context 128] [--steps 20] [--device cpu]\n");
            return 2;
        }
    }
    if (o.model.empty() || o.textFile.empty()) {
        std::fprintf(stderr, "usage: bench_fit MODEL_DIR --text-file FILE [--batch 8] [--context 128] [--steps 20] [--device cpu]\n");
        return 2;
    }
    try {
        const std::string scratch = std::filesystem::temp_directory_path().string() + "/bench_fit_" + std::to_string(::getpid());
        nlohmann::json r = {{"model", o.model}, {"batch", o.batch}, {"context", o.context}, {"steps", o.steps}, {"device", o.device}};
        const double pass = passMs(o, false);
        r["forward_backward_ms"] = pass;
        r["peak_rss_mib_after_forward_backward"] = peakRssMiB();
        for (const char* mechanism : {"head_gates", "adaptive_span"}) {
            const double ms = fitMs(o, mechanism, scratch + "-" + mechanism);
            std::filesystem::remove_all(scratch + "-" + mechanism);
            r[std::string(mechanism) + "_step_ms"] = ms;
            r[std::string(mechanism) + "_over_forward_backward"] = ms / pass;
            r[std::string("peak_rss_mib_after_") + mechanism] = peakRssMiB();
        }
        const double fineTune = passMs(o, true);   // last: its weight gradients raise the peak
        r["fine_tune_forward_backward_ms"] = fineTune;
        r["peak_rss_mib_after_fine_tune"] = peakRssMiB();
        std::cout << r.dump(2) << std::endl;
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_fit: %s\n", e.what());
        return 1;
    }
    return 0;
}
