// The engine: loads a model folder, validates requests, runs the model and exports a Trace.
#include "headlight/engine.h"

#include "engine/engine_internal.h"
#include "engine/objective.h"
#include "checkpoint/checkpoint.h"
#include "engine/run_memory.h"
#include "model/transformer.h"
#include "headlight/error.h"
#include "headlight/input_file.h"
#include "nn/torch_bridge.h"

#include <ATen/Context.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace headlight {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

bool isDir(const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool isFile(const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool sameCapture(const CaptureSpec& a, const CaptureSpec& b) {
    return a.enabled == b.enabled && a.layers == b.layers && a.heads == b.heads && a.logits == b.logits &&
           a.headStats == b.headStats && a.pooledSize == b.pooledSize;
}

// A layer's digest as the trace carries it: statistics as means over the T queries.
LayerDigest exportDigest(int layer, const LayerCapture& cap, int64_t T) {
    LayerDigest d;
    d.layer = layer;
    if (cap.statSums.defined()) {
        const auto means = (cap.statSums / static_cast<double>(T)).to(torch::kFloat).cpu();   // [H,4]
        d.entropy = toArray(means.select(1, 0));
        d.maxWeight = toArray(means.select(1, 1));
        d.meanDistance = toArray(means.select(1, 2));
        d.firstToken = toArray(means.select(1, 3));
    }
    if (cap.pooledBin > 0) {
        d.bin = cap.pooledBin;
        d.pooledMax = toArray(cap.pooledMax);
        d.pooledMean = toArray(cap.pooledMean);
    }
    return d;
}

// What incremental recomputation needs of the last run; immutable once published, so a run can use it while
// another thread replaces it.
struct LastRun {
    std::vector<int64_t> tokenIds;          // the key: tokens, context budget and capture
    std::vector<int> contextBudget;
    CaptureSpec capture;
    std::vector<float> mask;                // L*H, the mask used (all ones when the request had none)
    std::vector<torch::Tensor> residuals;   // L+1 of [1,T,D] on the device: the input of layer l; [L] feeds ln_f
    std::vector<LayerTrace> layers;         // per layer, its exported capture (shares storage with that trace)
    std::vector<LayerDigest> digests;       // per layer when the capture digests heads, else empty
    torch::Tensor maskTensor;               // the run's head mask as it was passed (undefined: none)
    // The newest run of this input with no head pruned (this run, or one before it that differed only in its
    // mask); null when none was made since the input last changed.
    std::shared_ptr<const Trace> unpruned;

    bool sameInput(const RunRequest& r) const {
        return tokenIds == r.tokenIds && contextBudget == r.contextBudget && sameCapture(capture, r.capture);
    }
    // The first layer whose mask row differs from `other`'s, L when none does. Bitwise: a row that compares
    // equal must give the same bits.
    int firstChangedLayer(const std::vector<float>& other, int L, int H) const {
        for (int l = 0; l < L; ++l)
            if (std::memcmp(mask.data() + static_cast<size_t>(l) * static_cast<size_t>(H),
                            other.data() + static_cast<size_t>(l) * static_cast<size_t>(H), sizeof(float) * static_cast<size_t>(H)) != 0)
                return l;
        return L;
    }
};

} // namespace

// engine_internal.h's accessors reach the Impl through these friends of it (only Impl's members may read
// Engine's private pointer; friends defined in a class are inline, hence the out-of-line wrappers below).
static const Transformer& implModel(const Engine& engine);
static torch::Device implDevice(const Engine& engine);

struct Engine::Impl {
    std::string modelDir;
    std::string deviceName;
    std::string dtypeName;
    torch::Device device = torch::kCPU;
    std::unique_ptr<Transformer> model;
    std::unique_ptr<Tokenizer> tokenizer;
    double loadMs = 0;

    std::atomic<bool> reuseActivations{true};
    std::mutex lastRunMutex;                       // guards lastRun (the pointer; the object is immutable)
    std::shared_ptr<const LastRun> lastRun;

    static const Impl& of(const Engine& engine) { return *engine.impl_; }
    friend const Transformer& implModel(const Engine& engine) { return *of(engine).model; }
    friend torch::Device implDevice(const Engine& engine) { return of(engine).device; }
};

const Transformer& modelOf(const Engine& engine) { return implModel(engine); }
torch::Device deviceOf(const Engine& engine) { return implDevice(engine); }

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Engine Engine::load(const std::string& modelDir, const std::string& device, const std::string& dtype) {
    const auto t0 = Clock::now();
    if (!isDir(modelDir)) throw Error(modelDir, isFile(modelDir) ? "is a file, expected a model folder" : "model folder not found");
    // A folder or FIFO in a file's place says so (headlight/input_file.h), rather than "file not found".
    if (const std::string problem = regularFileProblem(modelDir + "/config.json"); !problem.empty())
        throw Error(modelDir + "/config.json", problem == "file not found" ? "file not found (a model folder needs config.json and model.safetensors)" : problem);
    if (checkpointFile(modelDir).empty()) {
        const std::string problem = regularFileProblem(modelDir + "/model.safetensors");
        throw Error(modelDir + "/model.safetensors", problem == "file not found" ? "file not found (a model folder needs model.safetensors or model.safetensors.index.json)" : problem);
    }

    auto impl = std::make_unique<Impl>();
    impl->modelDir = modelDir;
    impl->device = parseDevice(device);
    impl->deviceName = impl->device.str();
    const torch::ScalarType storage = parseDtype(dtype, impl->device);
    impl->dtypeName = dtypeName(storage);
    auto config = ModelConfig::fromFile(modelDir + "/config.json");
    impl->tokenizer = loadTokenizer(modelDir);   // nullptr: the folder has no tokenizer files
    if (impl->tokenizer && impl->tokenizer->kind() == "char" && impl->tokenizer->vocabSize() != config.vocabSize)
        throw Error(modelDir + "/vocab.json", "has " + std::to_string(impl->tokenizer->vocabSize()) +
                                                  " tokens but config.json says vocab_size = " + std::to_string(config.vocabSize));
    // Hugging Face checkpoints often pad the embedding beyond the tokenizer's ids, never the other way.
    if (impl->tokenizer && impl->tokenizer->kind() != "char" && impl->tokenizer->vocabSize() > config.vocabSize)
        throw Error(modelDir, "the tokenizer (" + impl->tokenizer->kind() + ") has ids up to " +
                                  std::to_string(impl->tokenizer->vocabSize() - 1) + " but config.json says vocab_size = " +
                                  std::to_string(config.vocabSize));
    torch::NoGradGuard noGrad;
    impl->model = std::make_unique<Transformer>(config, readCheckpoint(modelDir, impl->device), checkpointFile(modelDir));
    impl->model->storeMatricesAs(storage);
    impl->loadMs = msSince(t0);
    return Engine(std::move(impl));
}

const std::string& Engine::modelDir() const { return impl_->modelDir; }
const ModelConfig& Engine::config() const { return impl_->model->config(); }
const std::string& Engine::device() const { return impl_->deviceName; }
const std::string& Engine::dtype() const { return impl_->dtypeName; }
const Tokenizer* Engine::tokenizer() const { return impl_->tokenizer.get(); }
double Engine::loadMs() const { return impl_->loadMs; }

void Engine::setReuseActivations(bool reuse) {
    std::lock_guard<std::mutex> lock(impl_->lastRunMutex);
    impl_->reuseActivations = reuse;
    if (!reuse) impl_->lastRun.reset();   // frees the kept activations
}
bool Engine::reuseActivations() const { return impl_->reuseActivations; }

bool Engine::cudaAvailable() { return at::globalContext().hasCUDA() && torch::cuda::device_count() > 0; }

std::vector<int64_t> Engine::encode(const std::string& text) const {
    if (!impl_->tokenizer)
        throw Error(impl_->modelDir, "has no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt or a character "
                                     "vocab.json): this model takes token ids only (--ids)");
    if (text.empty()) throw Error("text", "is empty; give at least one character");
    return impl_->tokenizer->encode(text, true);   // the tokenizer's own specials: BOS, [CLS] ... [SEP], our '^
}

Trace Engine::run(const RunRequest& req) const { return run(req, LayerSink()); }

// A function-try-block: an allocation failure anywhere in the run becomes one line (rethrowOutOfMemory).
Trace Engine::run(const RunRequest& req, const LayerSink& sink) const try {
    const ModelConfig& c = config();
    const auto T = static_cast<int64_t>(req.tokenIds.size());
    if (T == 0) throw Error("input", "no tokens to run");
    if (T > c.nPositions)
        throw Error("input", std::to_string(T) + " tokens, but the model allows at most " + std::to_string(c.nPositions) + " (n_positions)");
    for (int64_t id : req.tokenIds)
        if (id < 0 || id >= c.vocabSize)
            throw Error("input", "token id " + std::to_string(id) + " is out of range 0.." + std::to_string(c.vocabSize - 1));
    const size_t LH = static_cast<size_t>(c.nLayer) * static_cast<size_t>(c.nHead);
    if (!req.headMask.empty() && req.headMask.size() != LH)
        throw Error("head mask", "has " + std::to_string(req.headMask.size()) + " values, expected n_layer * n_head = " + std::to_string(LH));
    for (float m : req.headMask)
        if (!(m >= 0.0f && m <= 1.0f)) throw Error("head mask", "values must lie in [0, 1]");
    if (!req.contextBudget.empty()) {
        if (!prunesContext(c)) throw Error("context budget", "needs a model with selective attention");
        if (static_cast<int>(req.contextBudget.size()) != c.nLayer)
            throw Error("context budget", "has " + std::to_string(req.contextBudget.size()) + " values, expected one per layer (" + std::to_string(c.nLayer) + ")");
        for (int k : req.contextBudget)
            if (k < 0) throw Error("context budget", "must be >= 0 (0 = unlimited)");
    }
    for (int l : req.capture.layers)
        if (l < 0 || l >= c.nLayer) throw Error("capture", "layer " + std::to_string(l) + " does not exist (n_layer = " + std::to_string(c.nLayer) + ")");
    for (int h : req.capture.heads)
        if (h < 0 || h >= c.nHead) throw Error("capture", "head " + std::to_string(h) + " does not exist (n_head = " + std::to_string(c.nHead) + ")");

    torch::NoGradGuard noGrad;
    const auto& dev = impl_->device;
    Trace trace;
    trace.device = impl_->deviceName;
    trace.tokenIds = req.tokenIds;
    trace.tokens.reserve(req.tokenIds.size());
    for (int64_t id : req.tokenIds)
        trace.tokens.push_back(impl_->tokenizer ? impl_->tokenizer->tokenText(id) : "<" + std::to_string(id) + ">");
    std::vector<float> mask = req.headMask.empty() ? std::vector<float>(LH, 1.0f) : req.headMask;
    trace.headMask = FloatArray({c.nLayer, c.nHead}, mask);
    trace.contextBudget = req.contextBudget;

    // Incremental recomputation: layers before the first changed mask row see exactly the inputs they saw last
    // time, so their outputs (the residual entering that row's layer) and captures are reused as they are.
    const bool reuse = impl_->reuseActivations && req.reuseActivations && !sink;
    if (req.capture.pooledSize < 0) throw Error("capture", "pooled size must be >= 0");
    checkRunFitsMemory(c, T, req, static_cast<bool>(sink), reuse);
    std::shared_ptr<const LastRun> previous;
    if (reuse) {
        std::lock_guard<std::mutex> lock(impl_->lastRunMutex);
        previous = impl_->lastRun;
    }
    if (previous && !previous->sameInput(req)) previous.reset();
    const int first = previous ? previous->firstChangedLayer(mask, c.nLayer, c.nHead) : 0;
    trace.timings.firstLayerRun = first;

    std::vector<int> heads(req.capture.heads.begin(), req.capture.heads.end());
    if (heads.empty())
        for (int h = 0; h < c.nHead; ++h) heads.push_back(h);
    const auto mechanisms = mechanismsOf(c);
    auto exportLayer = [&](int l, const LayerCapture& cap) {
        LayerTrace lt;
        lt.layer = l;
        lt.heads = heads;
        lt.attention = toArray(cap.attention.select(0, 0));                      // [h,T,T]: only the heads asked for
        for (const Mechanism* m : mechanisms) m->exportLayer(c, impl_->model->mechanisms(l), cap, lt);
        return lt;
    };
    double streamedExportMs = 0;
    const bool digests = req.capture.headStats || req.capture.pooledSize > 0;

    auto t0 = Clock::now();
    auto ids = torch::tensor(req.tokenIds, torch::kLong).to(dev).unsqueeze(0);     // [1,T]
    auto maskTensor = req.headMask.empty() ? torch::Tensor() : toTensor(trace.headMask, dev);
    ForwardOptions options;
    options.headMask = maskTensor;
    options.capture = req.capture;
    if (req.progress) options.afterLayer = [&](int l) { req.progress(l + 1, c.nLayer); };
    options.contextBudget.assign(req.contextBudget.begin(), req.contextBudget.end());
    if (sink)
        options.onCapture = [&](int l, LayerCapture&& cap) {
            const auto e0 = Clock::now();
            if (digests) trace.digests.push_back(exportDigest(l, cap, T));
            if (cap.captured) sink(exportLayer(l, cap));                          // the capture is freed on return
            streamedExportMs += msSince(e0);
        };
    std::vector<torch::Tensor> residuals(static_cast<size_t>(c.nLayer) + 1);     // each [1,T,D]
    for (int l = 0; l < first; ++l) residuals[static_cast<size_t>(l)] = previous->residuals[static_cast<size_t>(l)];
    auto input = first == 0 ? impl_->model->embed(ids) : previous->residuals[static_cast<size_t>(first)];
    // The residuals are kept only for the next run to reuse or as hidden states (each [1,T,D]: 25 MB per layer
    // at 8192 tokens).
    auto result = impl_->model->forwardFrom(first, input, options, reuse || req.capture.hiddenStates ? &residuals : nullptr);
    if (dev.is_cuda()) torch::cuda::synchronize();
    trace.timings.forwardMs = msSince(t0) - streamedExportMs;

    t0 = Clock::now();
    trace.objective = objectiveName(objectiveOf(c));
    torch::Tensor logits;
    if (result.logits.defined()) {                                                // BERT without its masked-LM head has none
        logits = result.logits.select(0, 0);                                      // [T,V]
        if (objectiveOf(c) == Objective::NextToken) trace.loss = toArray(nextTokenNll(result.logits, ids).select(0, 0));
    }
    trace.timings.lossMs = msSince(t0);

    t0 = Clock::now();
    if (req.capture.logits && logits.defined()) trace.logits = toArray(logits);
    if (req.capture.hiddenStates) {
        for (int l = 0; l < c.nLayer; ++l) trace.hiddenStates.push_back(toArray(residuals[static_cast<size_t>(l)].select(0, 0)));
        trace.hiddenStates.push_back(toArray(result.finalHidden.select(0, 0)));
    }
    for (int l = 0; l < c.nLayer && digests && !sink; ++l)
        trace.digests.push_back(l < first ? previous->digests[static_cast<size_t>(l)]
                                          : exportDigest(l, result.layers[static_cast<size_t>(l)], T));
    for (int l = 0; l < c.nLayer; ++l) {
        if (sink || !req.capture.wantsLayer(l)) continue;
        if (l < first) {   // same capture spec: the kept arrays are exactly what this run would export
            trace.layers.push_back(previous->layers[static_cast<size_t>(l)]);
            continue;
        }
        trace.layers.push_back(exportLayer(l, result.layers[static_cast<size_t>(l)]));
    }
    trace.timings.exportMs = msSince(t0) + streamedExportMs;

    if (reuse) {
        auto kept = std::make_shared<LastRun>();
        kept->tokenIds = req.tokenIds;
        kept->contextBudget = req.contextBudget;
        kept->capture = req.capture;
        kept->mask = std::move(mask);
        kept->residuals = std::move(residuals);
        kept->layers.resize(static_cast<size_t>(c.nLayer));
        for (const auto& lt : trace.layers) kept->layers[static_cast<size_t>(lt.layer)] = lt;
        kept->digests = trace.digests;
        kept->maskTensor = maskTensor;
        if (std::all_of(kept->mask.begin(), kept->mask.end(), [](float m) { return m == 1.0f; }))
            kept->unpruned = std::make_shared<const Trace>(trace);   // arrays are shared, not copied
        else if (previous)
            kept->unpruned = previous->unpruned;                      // the same input: still its unpruned run
        std::lock_guard<std::mutex> lock(impl_->lastRunMutex);
        if (impl_->reuseActivations) impl_->lastRun = std::move(kept);   // unless switched off meanwhile
    }
    return trace;
} catch (const c10::Error& e) {
    rethrowOutOfMemory(e, static_cast<int64_t>(req.tokenIds.size()));
}

LayerTrace Engine::recaptureLayer(const RunRequest& run, int layer, const std::set<int>& heads) const {
    const ModelConfig& c = config();
    if (layer < 0 || layer >= c.nLayer)
        throw Error("capture", "layer " + std::to_string(layer) + " does not exist (n_layer = " + std::to_string(c.nLayer) + ")");
    for (int h : heads)
        if (h < 0 || h >= c.nHead) throw Error("capture", "head " + std::to_string(h) + " does not exist (n_head = " + std::to_string(c.nHead) + ")");
    std::shared_ptr<const LastRun> last;
    {
        std::lock_guard<std::mutex> lock(impl_->lastRunMutex);
        last = impl_->lastRun;
    }
    const size_t LH = static_cast<size_t>(c.nLayer) * static_cast<size_t>(c.nHead);
    const std::vector<float> mask = run.headMask.empty() ? std::vector<float>(LH, 1.0f) : run.headMask;
    if (!last || last->tokenIds != run.tokenIds || last->mask != mask || last->contextBudget != run.contextBudget ||
        !last->residuals[static_cast<size_t>(layer)].defined())
        throw Error("capture", "the engine keeps no run of these tokens to capture layer " + std::to_string(layer) + " from; run them first");
    torch::NoGradGuard noGrad;
    ForwardOptions options;
    options.headMask = last->maskTensor;
    options.contextBudget.assign(last->contextBudget.begin(), last->contextBudget.end());
    options.capture.enabled = true;
    options.capture.layers = {layer};
    options.capture.heads = heads;
    options.capture.logits = false;
    const LayerCapture cap = impl_->model->captureLayer(layer, last->residuals[static_cast<size_t>(layer)], options);
    if (impl_->device.is_cuda()) torch::cuda::synchronize();
    LayerTrace lt;
    lt.layer = layer;
    for (int h = 0; h < c.nHead; ++h)
        if (heads.empty() || heads.count(h)) lt.heads.push_back(h);
    lt.attention = toArray(cap.attention.select(0, 0));
    for (const Mechanism* m : mechanismsOf(c)) m->exportLayer(c, impl_->model->mechanisms(layer), cap, lt);
    return lt;
}

std::shared_ptr<const Trace> Engine::unprunedRun(const RunRequest& request) const {
    std::shared_ptr<const LastRun> last;
    {
        std::lock_guard<std::mutex> lock(impl_->lastRunMutex);
        last = impl_->lastRun;
    }
    return last && last->sameInput(request) ? last->unpruned : nullptr;
}

int64_t Engine::parameterCount() const {
    int64_t n = 0;
    for (const auto& [name, t] : impl_->model->named()) n += t.numel();
    return n;
}

std::string Engine::describeJson() const {
    const ModelConfig& c = config();
    nlohmann::json j;
    j["model"] = impl_->modelDir;
    j["architecture"] = c.modelType;
    j["sizes"] = {{"vocab_size", c.vocabSize}, {"n_layer", c.nLayer}, {"n_head", c.nHead}, {"n_kv_head", c.kvHeads()},
                  {"n_embd", c.nEmbd}, {"head_dim", c.headDim()}, {"mlp_width", c.hasMlp() ? c.mlpWidth() : 0},
                  {"n_positions", c.nPositions}, {"mlp", c.hasMlp()}};
    nlohmann::json attention = {{"causal", c.causal}, {"grouped_query", c.kvHeads() < c.nHead},
                                {"queries_per_kv_head", c.nHead / c.kvHeads()}, {"activation", c.activationFunction}};
    if (c.rotary)
        attention["rotary"] = {{"dims", c.rotary->dims}, {"theta", c.rotary->theta}, {"scaling", c.rotary->scaling},
                               {"factor", c.rotary->factor}};
    else
        attention["positions"] = c.modelType == "bert" || c.isNative() ? "learned absolute" : "none";
    if (std::any_of(c.slidingWindow.begin(), c.slidingWindow.end(), [](int w) { return w > 0; }))
        attention["sliding_window"] = c.slidingWindow;   // per layer, 0 = full
    if (c.attnLogitSoftcap > 0) attention["attn_logit_softcap"] = c.attnLogitSoftcap;
    if (c.finalLogitSoftcap > 0) attention["final_logit_softcap"] = c.finalLogitSoftcap;
    if (c.parallelResidual) attention["parallel_residual"] = true;
    if (c.qkNorm) attention["qk_norm"] = true;
    j["attention"] = attention;
    j["objective"] = c.causal ? "next token" : "masked token";
    j["parameters"] = parameterCount();
    j["output_layer"] = impl_->model->outputLayer();
    j["tokenizer"] = impl_->tokenizer ? impl_->tokenizer->kind() : "none (token ids only)";
    j["device"] = impl_->deviceName;
    j["dtype"] = impl_->dtypeName;
    nlohmann::json mech = nlohmann::json::object();
    for (const Mechanism* m : mechanismsOf(c)) mech[m->key()] = m->describe(impl_->model->mechanismHost());
    j["mechanisms"] = mech;
    return j.dump(2);
}

std::vector<float> parsePruneList(const std::string& spec, const ModelConfig& c, const std::string& argName) {
    std::vector<float> mask(static_cast<size_t>(c.nLayer) * static_cast<size_t>(c.nHead), 1.0f);
    size_t start = 0;
    while (start <= spec.size()) {
        const size_t comma = spec.find(',', start);
        const std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const size_t dot = item.find('.');
        auto isNumber = [](const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 9; };
        if (dot == std::string::npos || !isNumber(item.substr(0, dot)) || !isNumber(item.substr(dot + 1)))
            throw Error(argName, "\"" + item + "\" is not a head (use LAYER.HEAD, e.g. 0.3)");
        const int l = std::stoi(item.substr(0, dot)), h = std::stoi(item.substr(dot + 1));
        if (l >= c.nLayer || h >= c.nHead)
            throw Error(argName, "head " + item + " does not exist (the model has " + std::to_string(c.nLayer) +
                                     " layers of " + std::to_string(c.nHead) + " heads)");
        mask[static_cast<size_t>(l) * static_cast<size_t>(c.nHead) + static_cast<size_t>(h)] = 0.0f;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return mask;
}

} // namespace headlight
