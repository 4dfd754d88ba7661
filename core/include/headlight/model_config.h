#pragma once
// A model's config.json: GPT-2's keys plus Headlight's optional attention mechanisms.
#include <optional>
#include <string>

namespace headlight {

// Hard Concrete / L0 head gates (Voita et al. 2019).
struct HeadGatesConfig {
    double temperature = 0.33;
    double gamma = -0.1;   // stretch interval lower end, < 0
    double zeta = 1.1;     // stretch interval upper end, > 1
};

// Adaptive attention span (Sukhbaatar et al. 2019): soft mask m(x) = clamp((R + z - x) / R, 0, 1).
struct AdaptiveSpanConfig {
    int maxSpan = 0;       // S: z = span_fraction * S
    double ramp = 0.0;     // R, in tokens
};

// Selective attention (Leviathan et al. 2024): one head's logits decide what every head forgets.
struct SelectiveAttentionConfig {
    int selectorHead = 0;
};

// Persistent memory slots per head (all-attention layers when replaceMlp).
struct PersistentMemoryConfig {
    int slotCount = 0;   // "slots" in config.json (not the field name: Qt reserves `slots`)
    bool replaceMlp = false;
};

struct ModelConfig {
    std::string modelType;           // "gpt2" or "headlight"
    int vocabSize = 0;
    int nLayer = 0;
    int nHead = 0;
    int nEmbd = 0;
    int nPositions = 0;
    int nKvHead = 0;                 // key/value heads (grouped-query attention); 0 = nHead
    bool causal = true;              // false: bidirectional attention (BERT), every matrix is full
    double layerNormEpsilon = 1e-5;
    std::string activationFunction = "gelu_new";

    std::optional<HeadGatesConfig> headGates;
    std::optional<AdaptiveSpanConfig> adaptiveSpan;
    std::optional<SelectiveAttentionConfig> selectiveAttention;
    std::optional<PersistentMemoryConfig> persistentMemory;

    int headDim() const { return nEmbd / nHead; }
    int kvHeads() const { return nKvHead > 0 ? nKvHead : nHead; }
    // The key/value head query head `h` reads (grouped-query attention shares one among nHead / kvHeads()).
    int kvHeadOf(int h) const { return h / (nHead / kvHeads()); }
    int memorySlots() const { return persistentMemory ? persistentMemory->slotCount : 0; }
    bool hasMlp() const { return !(persistentMemory && persistentMemory->replaceMlp); }

    // Parse and validate; `source` names the file in error messages. Throws headlight::Error.
    static ModelConfig fromJson(const std::string& jsonText, const std::string& source);
    static ModelConfig fromFile(const std::string& path);
    // Canonical config.json text (Hugging Face GPT-2 keys, plus the "headlight" object).
    std::string toJson() const;
};

} // namespace headlight
