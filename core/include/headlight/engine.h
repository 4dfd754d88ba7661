#pragma once
// The engine: a loaded model on a device, run on token ids, returning a Trace.
#include "headlight/model_config.h"
#include "headlight/tokenizer.h"
#include "headlight/trace.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace headlight {

struct LoadedModel;

// How to load a model: its device and storage dtype (Engine::load), and mechanisms to add that the folder's
// model was not trained with.
struct LoadOptions {
    std::string device = "cpu";
    std::string dtype = "float32";
    // Zero-shot selective attention (Leviathan et al. 2024) with this selector head in every layer: the
    // selection has no parameters, so any causal model can run with it (docs/model-format.md, "Selective
    // attention on any model"). Absent: the model as its config.json has it.
    std::optional<int> selectorHead;
};

struct RunRequest {
    std::vector<int64_t> tokenIds;
    std::vector<float> headMask;   // L*H row-major (1 = keep, 0 = pruned); empty = keep every head
    // Encoder-decoder models: the encoder's input (tokenIds is then the decoder's input, starting with the
    // decoder start token under teacher forcing), and the head masks of the encoder's self-attention (Le*H) and
    // of the decoder's cross-attention (L*H); headMask is the decoder's self-attention. Empty masks keep all.
    std::vector<int64_t> sourceIds;
    std::vector<float> encoderHeadMask;
    std::vector<float> crossHeadMask;
    // Context pruning for selective attention: per layer, the most tokens the layer keeps while decoding
    // (evicting the largest F first); empty or 0 = unlimited. See docs/model-format.md.
    std::vector<int> contextBudget;
    CaptureSpec capture;
    // Incremental recomputation (see Engine::run) for this run; false: neither reuse nor replace what the engine
    // keeps (batch evaluations, so an interactive what-if keeps its reuse while an analysis runs beside it).
    bool reuseActivations = true;
    // Called after each layer computed (layers done, of n_layer) on the running thread; it may throw to stop
    // the run (the app's Cancel), which then leaves nothing behind.
    std::function<void(int done, int layers)> progress;
};

class Engine {
public:
    // Loads config.json, model.safetensors and vocab.json (optional) from `modelDir` onto `device`
    // ("cpu" or "cuda[:N]"). Throws headlight::Error naming the file and the problem.
    // `dtype` ("float32", "bfloat16" or "float16") is what the model's matrices are stored and multiplied in;
    // norms, softmax, the loss and every value a Trace returns stay float32 (docs/model-format.md, Precision).
    // float16 needs CUDA or a LibTorch with float16 CPU kernels; an unusable dtype is an Error naming --dtype.
    static Engine load(const std::string& modelDir, const std::string& device = "cpu", const std::string& dtype = "float32");
    // The same with mechanisms added (LoadOptions::selectorHead). Errors name the option: "--selector-head" for
    // a head the model does not have, "--selective" for a model that is not causal or already selective.
    static Engine load(const std::string& modelDir, const LoadOptions& options);

    Engine(Engine&&) noexcept;
    Engine& operator=(Engine&&) noexcept;
    ~Engine();

    const std::string& modelDir() const;
    const ModelConfig& config() const;
    const std::string& device() const;
    const std::string& dtype() const;   // "float32", "bfloat16" or "float16"
    // Null when the folder has no tokenizer files (ids only); loadTokenizer() lists the formats.
    const Tokenizer* tokenizer() const;
    double loadMs() const;
    // The selector head zero-shot selective attention was added with at load (LoadOptions::selectorHead), -1 when
    // the model runs as its folder has it.
    int zeroShotSelectorHead() const;

    // Encodes with the model's tokenizer; throws headlight::Error for empty text or unknown characters.
    // Every command and the app encode text this way: with the tokenizer's own special tokens (BOS for
    // Llama-style tokenizers, [CLS] ... [SEP] for BERT, none for GPT-2 and Qwen, '^' for our character
    // models when the text does not start with it).
    std::vector<int64_t> encode(const std::string& text) const;
    // An encoder-decoder model's target text, as its decoder reads it (Tokenizer::encodeTarget: Marian's target
    // side), with the tokenizer's specials (</s> at the end); the decoder start token is not added.
    std::vector<int64_t> encodeTarget(const std::string& text) const;
    // Validates ids, the mask and the capture filter, then runs. Throws headlight::Error on bad input.
    // Incremental recomputation: the engine keeps the last run's input to every layer. A run of the same tokens,
    // context budget and capture whose head mask first differs from the last run's at layer l recomputes
    // layers l..L-1 only and reuses the earlier layers' captures (bit-identical to a full run).
    // Trace::timings.firstLayerRun says where the forward pass started. Safe to call from several threads.
    Trace run(const RunRequest& request) const;
    // The same run, handing each captured layer to `sink` as soon as that layer is computed and keeping none:
    // the returned Trace has no layers, so a full capture of a long input never holds every layer at once
    // (streamed exports: writeTraceHdf5Streaming). Neither reuses nor replaces the last run's activations.
    using LayerSink = std::function<void(LayerTrace&&)>;
    Trace run(const RunRequest& request, const LayerSink& sink) const;
    // Layer `layer` of the last run of `tokenIds` captured again for `heads` (empty = every head): computed from
    // the input that layer saw in that run (kept while activations are reused), with its head mask and context
    // budget, so it has the same bits as a run capturing those heads. A view of a long input switches heads
    // this way without a forward pass. Throws headlight::Error when the engine keeps no run of these tokens.
    // `run` names the run (tokens, head mask, context budget; its capture is ignored).
    LayerTrace recaptureLayer(const RunRequest& run, int layer, const std::set<int>& heads) const;
    // The newest run with no head pruned of `request`'s input (tokens, context budget and capture; its head mask
    // is ignored), while the engine keeps it: the runs since changed only the head mask. Null otherwise. A
    // what-if compares against it, and undoing every pruned head shows it again without a forward pass.
    std::shared_ptr<const Trace> unprunedRun(const RunRequest& request) const;
    // On by default; off = every run is a full forward pass (for benchmarks and tests).
    void setReuseActivations(bool reuse);
    bool reuseActivations() const;

    // Parameter count (all tensors) and a JSON description of the model.
    int64_t parameterCount() const;
    std::string describeJson() const;

    // True when the linked LibTorch can run on CUDA here.
    static bool cudaAvailable();

    // The loaded model itself, for the core's analyses (core/src/engine/loaded_model.h); an incomplete type here.
    const LoadedModel& loaded() const;

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The heads a capture keeps of a layer: those it names, ascending, or every head when it names none.
std::vector<int> capturedHeads(const CaptureSpec& capture, int heads);

// Parses "L.H,L.H" (pruned heads) into a keep-mask of L*H; throws headlight::Error naming `argName`.
std::vector<float> parsePruneList(const std::string& spec, const ModelConfig& config, const std::string& argName);

} // namespace headlight
