#pragma once
// A model's config.json: its family's keys (GPT-2's for our own format) plus Headlight's optional attention
// mechanisms, each with its settings struct in headlight/mechanisms/.
#include "headlight/mechanism_configs.h"

#include <optional>
#include <string>
#include <vector>

namespace headlight {

// Rotary position embeddings (Su et al.), as Hugging Face computes them: inv_freq_i = theta^(-2i/dims),
// halves rotated. `scaling`: "default", "linear" (positions / factor) or "llama3" (Llama 3.1's smoothed bands).
struct RotaryConfig {
    int dims = 0;                        // rotated dimensions per head (partial rotary: fewer than head_dim)
    double theta = 10000.0;
    std::string scaling = "default";
    double factor = 1.0;
    double lowFreqFactor = 1.0;          // llama3 only
    double highFreqFactor = 4.0;         // llama3 only
    int originalMaxPositions = 8192;     // llama3 only
    std::string frequencyDtype = "float32";   // the checkpoint's dtype: inv_freq is rounded to it, as transformers does
};

// An encoder-decoder model's encoder and how its two stacks meet (Marian, BART, T5). ModelConfig's nLayer,
// vocabSize and intermediateSize are the decoder's; both stacks' attention has nHead heads of headDim().
// The kinds of attention: a model of one stack has one (Self); an encoder-decoder model three, its encoder's
// self-attention, its decoder's (causal) self-attention and its decoder's cross-attention to the encoder's output.
enum class AttentionKind { Self, EncoderSelf, DecoderSelf, Cross };

struct EncoderDecoderConfig {
    int layers = 0;                    // encoder layers
    int mlpWidth = 0;                  // the encoder's feed-forward width
    int sourceVocabSize = 0;           // rows of the encoder's embedding (vocabSize when the table is shared)
    int64_t decoderStartTokenId = 0;   // the decoder input's first token (teacher forcing)
    bool sharedEmbeddings = true;      // one table for the encoder's and the decoder's tokens
    double embedScale = 1.0;           // token embeddings are multiplied by this (Marian: sqrt(d_model))
    int relativeBuckets = 0;           // T5: relative position buckets of self-attention (0: none)
    int relativeMaxDistance = 0;       // T5: the distance the last bucket starts at
    bool gatedMlp = false;             // T5 v1.1: act(wi_0 x) * wi_1 x; otherwise act(wi x)
    int64_t eosTokenId = -1;           // where greedy decoding stops (eos_token_id; -1: at its length limit)
};

// A model's architecture in family-neutral terms. Each family (core/src/families/) reads its own config.json
// keys into these fields; docs/model-format.md lists them.
struct ModelConfig {
    std::string modelType;           // gpt2, headlight, bert, llama, ..., marian, bart, t5
    int vocabSize = 0;
    int nLayer = 0;
    int nHead = 0;
    int nEmbd = 0;                   // hidden size
    int nPositions = 0;              // longest input
    int nKvHead = 0;                 // key/value heads (grouped-query attention); 0 = nHead
    bool causal = true;              // false: bidirectional attention (BERT), every matrix is full
    int headDimension = 0;           // 0 = nEmbd / nHead (Qwen3, Gemma 2 set it explicitly)
    int intermediateSize = 0;        // MLP width; 0 = 4 * nEmbd
    double layerNormEpsilon = 1e-5;  // LayerNorm or RMSNorm epsilon
    std::string activationFunction = "gelu_new";   // gelu_new, gelu, silu, relu, gelu_pytorch_tanh
    std::optional<RotaryConfig> rotary;            // absent: learned (or no) position embeddings
    std::vector<int> slidingWindow;  // per layer: a query sees the last `w` keys (itself included); 0 = all
    double attentionScale = 0.0;     // logits scale; 0 = 1 / sqrt(head_dim)
    bool scaleByInverseLayer = false;// GPT-2's scale_attn_by_inverse_layer_idx: logits also / (layer + 1)
    double attnLogitSoftcap = 0.0;   // Gemma 2: logits = cap * tanh(logits / cap); 0 = off
    double finalLogitSoftcap = 0.0;
    bool tieWordEmbeddings = true;   // output layer = input embedding
    bool attentionBias = false;      // q/k/v (and o where the family has it) biases
    bool mlpBias = false;
    bool qkNorm = false;             // Qwen3: RMSNorm of each head's q and k
    bool parallelResidual = false;   // GPT-NeoX: x + attn(ln1 x) + mlp(ln2 x)
    int typeVocabSize = 0;           // BERT token types (all inputs use type 0)
    std::string familyJson;          // Hugging Face families: config.json as read (toJson writes it back)
    std::optional<EncoderDecoderConfig> encoderDecoder;   // Marian, BART, T5; absent: one stack

    MechanismConfigs mechanisms;     // what the "headlight" object enables, each mechanism's settings by key

    bool isEncoderDecoder() const { return encoderDecoder.has_value(); }
    int headDim() const { return headDimension > 0 ? headDimension : nEmbd / nHead; }
    int mlpWidth() const { return intermediateSize > 0 ? intermediateSize : 4 * nEmbd; }
    int kvHeads() const { return nKvHead > 0 ? nKvHead : nHead; }
    // The key/value head query head `h` reads (grouped-query attention shares one among nHead / kvHeads()).
    int kvHeadOf(int h) const { return h / (nHead / kvHeads()); }
    int windowOf(int layer) const { return static_cast<size_t>(layer) < slidingWindow.size() ? slidingWindow[static_cast<size_t>(layer)] : 0; }
    // What the mechanisms change of the family's layers (each mechanism says, mechanisms/registry.cpp): keys every
    // head reads beside the context (persistent memory's slots), and whether the MLP is still there.
    int extraKeysPerHead() const;
    bool hasMlp() const;
    // The settings of mechanism T (a struct of headlight/mechanisms/), or null when the model lacks it.
    template <class T>
    const T* mechanism() const { return mechanisms.get<T>(); }
    // Headlight's own layout (GPT-2's: "gpt2" or "headlight"), as opposed to a Hugging Face family's; its family
    // says (FamilyTraits::ownLayout, families/registry.cpp).
    bool isNative() const;

    // Parse and validate; `source` names the file in error messages. Throws headlight::Error.
    static ModelConfig fromJson(const std::string& jsonText, const std::string& source);
    static ModelConfig fromFile(const std::string& path);
    // config.json text: GPT-2 keys for the native format, the family's own keys otherwise, plus the
    // "headlight" object when the model has mechanisms.
    std::string toJson() const;
};

// The model_type values config.json may name.
const std::vector<std::string>& supportedModelTypes();

} // namespace headlight
