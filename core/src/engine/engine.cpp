// The engine: loads a model folder, validates requests, runs the model and exports a Trace.
#include "headlight/engine.h"

#include "checkpoint/checkpoint.h"
#include "engine/encoder_decoder_run.h"
#include "engine/loaded_model.h"
#include "engine/objective.h"
#include "engine/request_check.h"
#include "engine/run_cache.h"
#include "engine/run_memory.h"
#include "engine/trace_export.h"
#include "attention/role_digest.h"
#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/mechanisms/selective_attention.h"
#include "nn/torch_bridge.h"

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace headlight {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

} // namespace

struct Engine::Impl {
    std::string modelDir;
    std::string deviceName;
    std::string dtypeName;
    LoadedModel loaded;
    std::unique_ptr<Tokenizer> tokenizer;
    double loadMs = 0;
    int zeroShotSelectorHead = -1;
    RunCache cache;   // the newest run's layer inputs and captures, and its input's unpruned run

    const Transformer& model() const { return loaded.singleStack("Capturing a layer again"); }
    // Where a run of `req` starts: after the layers the kept run computed with the same mask rows.
    struct Start {
        std::shared_ptr<const KeptRun> previous;   // null: a full forward pass
        int firstLayer = 0;
    };
    Start startFor(const RunRequest& req, const std::vector<float>& mask, bool reuse) const;
    // The run's outputs as the Trace carries them (loss, logits, hidden states, digests, captured layers),
    // reusing the kept run's exports for the layers it did not recompute.
    void exportOutputs(const RunRequest& req, const ForwardResult& result, const torch::Tensor& ids, const Start& start,
                       const std::vector<torch::Tensor>& residuals, bool streamed, Trace& trace) const;
    void keep(const RunRequest& req, std::vector<float> mask, std::vector<torch::Tensor> residuals,
              const torch::Tensor& maskTensor, const Trace& trace, const Start& start);
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Engine Engine::load(const std::string& modelDir, const std::string& device, const std::string& dtype) {
    LoadOptions options;
    options.device = device;
    options.dtype = dtype;
    return load(modelDir, options);
}

namespace {

// Selective attention added to a model trained without it: the same mechanism as a model whose config.json
// enables it (it adds no tensors), checked here so that errors name the options that asked for it.
void addZeroShotSelective(ModelConfig& config, int selectorHead) {
    if (const auto* trained = config.mechanism<SelectiveAttentionConfig>())
        throw Error("--selective", "the model already has selective attention (selector head " +
                                       std::to_string(trained->selectorHead) + ", trained with it)");
    if (!config.causal)
        throw Error("--selective", "needs a causal model (" + config.modelType + " attends to later tokens too)");
    if (selectorHead < 0 || selectorHead >= config.nHead)
        throw Error("--selector-head", std::to_string(selectorHead) + " is not a head of this model (n_head = " +
                                           std::to_string(config.nHead) + ")");
    config.mechanisms.set(SelectiveAttentionConfig{selectorHead});
}

} // namespace

Engine Engine::load(const std::string& modelDir, const LoadOptions& options) {
    const std::string& device = options.device;
    const std::string& dtype = options.dtype;
    const auto t0 = Clock::now();
    if (const FileKind kind = fileKind(modelDir); kind != FileKind::Folder)
        throw Error(modelDir, kind == FileKind::Missing ? "model folder not found" : "is a file, expected a model folder");
    // A folder or FIFO in a file's place says so (headlight/input_file.h), rather than "file not found".
    if (const std::string problem = regularFileProblem(modelDir + "/config.json"); !problem.empty())
        throw Error(modelDir + "/config.json", problem == "file not found" ? "file not found (a model folder needs config.json and model.safetensors)" : problem);
    if (checkpointFile(modelDir).empty()) {
        const std::string problem = regularFileProblem(modelDir + "/model.safetensors");
        throw Error(modelDir + "/model.safetensors", problem == "file not found" ? "file not found (a model folder needs model.safetensors or model.safetensors.index.json)" : problem);
    }

    auto impl = std::make_unique<Impl>();
    impl->modelDir = modelDir;
    impl->loaded.device = parseDevice(device);
    impl->deviceName = impl->loaded.device.str();
    const torch::ScalarType storage = parseDtype(dtype, impl->loaded.device);
    impl->dtypeName = dtypeName(storage);
    auto config = ModelConfig::fromFile(modelDir + "/config.json");
    if (options.selectorHead && config.isEncoderDecoder())
        throw Error("--selective", "needs a decoder-only model (" + config.modelType + " is an encoder-decoder model)");
    if (options.selectorHead) {
        addZeroShotSelective(config, *options.selectorHead);
        impl->zeroShotSelectorHead = *options.selectorHead;
    }
    impl->tokenizer = loadTokenizer(modelDir);   // nullptr: the folder has no tokenizer files
    if (impl->tokenizer && impl->tokenizer->kind() == "char" && impl->tokenizer->vocabSize() != config.vocabSize)
        throw Error(modelDir + "/vocab.json", "has " + std::to_string(impl->tokenizer->vocabSize()) +
                                                  " tokens but config.json says vocab_size = " + std::to_string(config.vocabSize));
    // Hugging Face checkpoints often pad the embedding beyond the tokenizer's ids, never the other way.
    if (impl->tokenizer && !config.isEncoderDecoder() && impl->tokenizer->kind() != "char" && impl->tokenizer->vocabSize() > config.vocabSize)
        throw Error(modelDir, "the tokenizer (" + impl->tokenizer->kind() + ") has ids up to " +
                                  std::to_string(impl->tokenizer->vocabSize() - 1) + " but config.json says vocab_size = " +
                                  std::to_string(config.vocabSize));
    if (impl->tokenizer && config.isEncoderDecoder()) {
        // The encoder reads the source side's ids, the decoder the target side's (Marian's may be separate).
        const int64_t source = config.encoderDecoder->sourceVocabSize;
        if (impl->tokenizer->vocabSize() > source || impl->tokenizer->targetVocabSize() > config.vocabSize)
            throw Error(modelDir, "the tokenizer (" + impl->tokenizer->kind() + ") has source ids up to " +
                                      std::to_string(impl->tokenizer->vocabSize() - 1) + " and target ids up to " +
                                      std::to_string(impl->tokenizer->targetVocabSize() - 1) + " but config.json says " +
                                      std::to_string(source) + " source and " + std::to_string(config.vocabSize) + " target tokens");
    }
    torch::NoGradGuard noGrad;
    auto weights = readModelWeights(config, modelDir, impl->loaded.device);
    if (config.isEncoderDecoder()) {
        impl->loaded.encoderDecoder = std::make_unique<EncoderDecoderModel>(config, std::move(weights), checkpointFile(modelDir));
        impl->loaded.encoderDecoder->storeMatricesAs(storage);
    } else {
        impl->loaded.model = std::make_unique<Transformer>(config, std::move(weights), checkpointFile(modelDir));
        impl->loaded.model->storeMatricesAs(storage);
    }
    impl->loadMs = msSince(t0);
    return Engine(std::move(impl));
}

const std::string& Engine::modelDir() const { return impl_->modelDir; }
const ModelConfig& Engine::config() const { return impl_->loaded.config(); }
const std::string& Engine::device() const { return impl_->deviceName; }
const std::string& Engine::dtype() const { return impl_->dtypeName; }
const Tokenizer* Engine::tokenizer() const { return impl_->tokenizer.get(); }
double Engine::loadMs() const { return impl_->loadMs; }
int Engine::zeroShotSelectorHead() const { return impl_->zeroShotSelectorHead; }

void Engine::setReuseActivations(bool reuse) { impl_->cache.setEnabled(reuse); }
bool Engine::reuseActivations() const { return impl_->cache.enabled(); }
const LoadedModel& Engine::loaded() const { return impl_->loaded; }

bool Engine::cudaAvailable() { return at::globalContext().hasCUDA() && torch::cuda::device_count() > 0; }

std::vector<int64_t> Engine::encode(const std::string& text) const {
    if (!impl_->tokenizer)
        throw Error(impl_->modelDir, "has no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt or a character "
                                     "vocab.json): this model takes token ids only (--ids)");
    if (text.empty()) throw Error("text", "is empty; give at least one character", ErrorInput::Text);
    return impl_->tokenizer->encode(text, true);   // the tokenizer's own specials: BOS, [CLS] ... [SEP], our '^
}

std::vector<int64_t> Engine::encodeTarget(const std::string& text) const {
    if (!impl_->tokenizer)
        throw Error(impl_->modelDir, "has no tokenizer files: this model takes token ids only (--decoder-ids)");
    if (text.empty()) throw Error("text", "is empty; give at least one character", ErrorInput::Text);
    return impl_->tokenizer->encodeTarget(text, true);
}

Trace Engine::run(const RunRequest& req) const { return run(req, LayerSink()); }

Engine::Impl::Start Engine::Impl::startFor(const RunRequest& req, const std::vector<float>& mask, bool reuse) const {
    // Layers before the first changed mask row see exactly the inputs they saw last time, so their outputs (the
    // residual entering that row's layer) and captures are reused as they are.
    Start s;
    if (reuse) s.previous = cache.matching(req);
    const ModelConfig& c = model().config();
    if (s.previous) s.firstLayer = s.previous->firstChangedLayer(mask, c.nLayer, c.nHead);
    return s;
}

void Engine::Impl::exportOutputs(const RunRequest& req, const ForwardResult& result, const torch::Tensor& ids,
                                 const Start& start, const std::vector<torch::Tensor>& residuals, bool streamed,
                                 Trace& trace) const {
    const ModelConfig& c = model().config();
    const auto T = static_cast<int64_t>(req.tokenIds.size());
    auto t0 = Clock::now();
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
    if (streamed) {   // the layers and digests went out as they were computed
        trace.timings.exportMs += msSince(t0);
        return;
    }
    const bool digests = req.capture.headStats || req.capture.pooledSize > 0;
    const std::vector<int> heads = capturedHeads(req.capture, c.nHead);
    for (int l = 0; l < c.nLayer && digests; ++l)
        trace.digests.push_back(l < start.firstLayer ? start.previous->digests[static_cast<size_t>(l)]
                                                     : exportDigest(l, result.layers[static_cast<size_t>(l)], T));
    for (int l = 0; l < c.nLayer && req.capture.roles; ++l)
        trace.roleScores.push_back(l < start.firstLayer ? start.previous->roleScores[static_cast<size_t>(l)]
                                                        : toArray(result.layers[static_cast<size_t>(l)].roleScores.t()));
    for (int l = 0; l < c.nLayer; ++l) {
        if (!req.capture.wantsLayer(l)) continue;
        // The same capture spec: the kept arrays are exactly what this run would export.
        trace.layers.push_back(l < start.firstLayer ? start.previous->layers[static_cast<size_t>(l)]
                                                    : exportLayer(model(), l, heads, result.layers[static_cast<size_t>(l)]));
    }
    trace.timings.exportMs += msSince(t0);
}

void Engine::Impl::keep(const RunRequest& req, std::vector<float> mask, std::vector<torch::Tensor> residuals,
                        const torch::Tensor& maskTensor, const Trace& trace, const Start& start) {
    auto kept = std::make_shared<KeptRun>();
    kept->tokenIds = req.tokenIds;
    kept->contextBudget = req.contextBudget;
    kept->capture = req.capture;
    kept->mask = std::move(mask);
    kept->residuals = std::move(residuals);
    kept->layers.resize(static_cast<size_t>(model().config().nLayer));
    for (const auto& lt : trace.layers) kept->layers[static_cast<size_t>(lt.layer)] = lt;
    kept->digests = trace.digests;
    kept->roleScores = trace.roleScores;
    kept->maskTensor = maskTensor;
    if (std::all_of(kept->mask.begin(), kept->mask.end(), [](float m) { return m == 1.0f; }))
        kept->unpruned = std::make_shared<const Trace>(trace);   // arrays are shared, not copied
    else if (start.previous)
        kept->unpruned = start.previous->unpruned;                // the same input: still its unpruned run
    cache.keep(std::move(kept));
}

// A function-try-block: an allocation failure anywhere in the run becomes one line (rethrowOutOfMemory).
Trace Engine::run(const RunRequest& req, const LayerSink& sink) const try {
    // First: whether attention can run in row blocks (and so the memory a run needs) depends on grad mode.
    torch::NoGradGuard noGrad;
    const ModelConfig& c = config();
    if (c.isEncoderDecoder()) {
        if (sink) throw Error("run", "an encoder-decoder run is not streamed layer by layer");
        return runEncoderDecoder(impl_->loaded, impl_->tokenizer.get(), impl_->deviceName, req);
    }
    if (!req.sourceIds.empty() || !req.encoderHeadMask.empty() || !req.crossHeadMask.empty())
        throw Error("input", "a source text or its head masks are for encoder-decoder models; " + c.modelType + " has one stack",
                    ErrorInput::SourceIds);
    checkRequest(c, req);
    const auto T = static_cast<int64_t>(req.tokenIds.size());
    const bool reuse = impl_->cache.enabled() && req.reuseActivations && !sink;
    checkRunFitsMemory(c, T, req, static_cast<bool>(sink), reuse);

    const auto& dev = impl_->loaded.device;
    Trace trace;
    trace.device = impl_->deviceName;
    trace.tokenIds = req.tokenIds;
    trace.tokens = tokenTexts(impl_->tokenizer.get(), req.tokenIds);
    std::vector<float> mask = req.headMask.empty() ? std::vector<float>(static_cast<size_t>(c.nLayer * c.nHead), 1.0f) : req.headMask;
    trace.headMask = FloatArray({c.nLayer, c.nHead}, mask);
    trace.contextBudget = req.contextBudget;
    const Impl::Start start = impl_->startFor(req, mask, reuse);
    trace.timings.firstLayerRun = start.firstLayer;

    // One forward pass from the first layer whose mask changed (layer 0 without a kept run). With a sink, each
    // captured layer (and its digest) leaves as soon as it is computed and is freed.
    auto t0 = Clock::now();
    auto ids = torch::tensor(req.tokenIds, torch::kLong).to(dev).unsqueeze(0);     // [1,T]
    auto maskTensor = req.headMask.empty() ? torch::Tensor() : toTensor(trace.headMask, dev);
    ForwardOptions options;
    options.headMask = maskTensor;
    options.capture = req.capture;
    options.contextBudget.assign(req.contextBudget.begin(), req.contextBudget.end());
    if (req.progress) options.afterLayer = [&](int l) { req.progress(l + 1, c.nLayer); };
    RoleProbe roleProbe;
    if (req.capture.roles) {
        roleProbe = RoleProbe::make(req.tokenIds, req.capture.rareKeys, dev);
        options.roles = &roleProbe;
    }
    const bool digests = req.capture.headStats || req.capture.pooledSize > 0;
    const std::vector<int> heads = capturedHeads(req.capture, c.nHead);
    if (sink)
        options.onCapture = [&](int l, LayerCapture&& cap) {
            const auto e0 = Clock::now();
            if (digests) trace.digests.push_back(exportDigest(l, cap, T));
            if (req.capture.roles) trace.roleScores.push_back(toArray(cap.roleScores.t()));
            if (cap.captured) sink(exportLayer(impl_->model(), l, heads, cap));   // the capture is freed on return
            trace.timings.exportMs += msSince(e0);
        };
    std::vector<torch::Tensor> residuals(static_cast<size_t>(c.nLayer) + 1);     // each [1,T,D]
    for (int l = 0; l < start.firstLayer; ++l) residuals[static_cast<size_t>(l)] = start.previous->residuals[static_cast<size_t>(l)];
    auto input = start.firstLayer == 0 ? impl_->model().embed(ids) : start.previous->residuals[static_cast<size_t>(start.firstLayer)];
    // The residuals are kept only for the next run to reuse or as hidden states (each [1,T,D]: 25 MB per layer
    // at 8192 tokens).
    const auto result = impl_->model().forwardFrom(start.firstLayer, input, options,
                                                   reuse || req.capture.hiddenStates ? &residuals : nullptr);
    if (dev.is_cuda()) torch::cuda::synchronize();
    trace.timings.forwardMs = msSince(t0) - trace.timings.exportMs;

    impl_->exportOutputs(req, result, ids, start, residuals, static_cast<bool>(sink), trace);
    if (reuse) impl_->keep(req, std::move(mask), std::move(residuals), maskTensor, trace, start);
    return trace;
} catch (const c10::Error& e) {
    rethrowOutOfMemory(e, static_cast<int64_t>(req.tokenIds.size()));
}

LayerTrace Engine::recaptureLayer(const RunRequest& run, int layer, const std::set<int>& heads) const {
    const ModelConfig& c = impl_->model().config();   // an encoder-decoder model: not yet
    checkCaptureLayer(c, layer);
    checkCaptureHeads(c, heads);
    const std::shared_ptr<const KeptRun> last = impl_->cache.newest();
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
    const LayerCapture cap = impl_->model().captureLayer(layer, last->residuals[static_cast<size_t>(layer)], options);
    if (impl_->loaded.device.is_cuda()) torch::cuda::synchronize();
    return exportLayer(impl_->model(), layer, capturedHeads(options.capture, c.nHead), cap);
}

std::shared_ptr<const Trace> Engine::unprunedRun(const RunRequest& request) const {
    const std::shared_ptr<const KeptRun> kept = impl_->cache.matching(request);
    return kept ? kept->unpruned : nullptr;
}

int64_t Engine::parameterCount() const {
    int64_t n = 0;
    const auto& m = impl_->loaded;
    for (const auto& [name, t] : m.model ? m.model->named() : m.encoderDecoder->named()) n += t.numel();
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
        attention["positions"] = familyOf(c).traits.positions;
    if (std::any_of(c.slidingWindow.begin(), c.slidingWindow.end(), [](int w) { return w > 0; }))
        attention["sliding_window"] = c.slidingWindow;   // per layer, 0 = full
    if (c.attnLogitSoftcap > 0) attention["attn_logit_softcap"] = c.attnLogitSoftcap;
    if (c.finalLogitSoftcap > 0) attention["final_logit_softcap"] = c.finalLogitSoftcap;
    if (c.parallelResidual) attention["parallel_residual"] = true;
    if (c.qkNorm) attention["qk_norm"] = true;
    j["attention"] = attention;
    j["objective"] = c.causal ? "next token" : "masked token";
    if (const auto& e = c.encoderDecoder) {
        j["encoder"] = {{"n_layer", e->layers}, {"n_head", c.nHead}, {"mlp_width", e->mlpWidth},
                        {"vocab_size", e->sourceVocabSize}, {"shared_embeddings", e->sharedEmbeddings}};
        j["decoder_start_token_id"] = e->decoderStartTokenId;
        j["objective"] = "next target token (teacher forcing)";
    }
    j["parameters"] = parameterCount();
    const auto& m = impl_->loaded;
    j["output_layer"] = m.model ? m.model->outputLayer() : m.encoderDecoder->outputLayer();
    j["tokenizer"] = impl_->tokenizer ? impl_->tokenizer->kind() : "none (token ids only)";
    j["device"] = impl_->deviceName;
    j["dtype"] = impl_->dtypeName;
    nlohmann::json mech = nlohmann::json::object();
    for (const Mechanism* mechanism : mechanismsOf(c)) mech[mechanism->key()] = mechanism->describe(impl_->model().mechanismHost());
    j["mechanisms"] = mech;
    return j.dump(2);
}

std::vector<int> capturedHeads(const CaptureSpec& capture, int heads) {
    if (!capture.heads.empty()) return {capture.heads.begin(), capture.heads.end()};
    std::vector<int> every(static_cast<size_t>(std::max(heads, 0)));   // none named: every head
    for (int h = 0; h < heads; ++h) every[static_cast<size_t>(h)] = h;
    return every;
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
