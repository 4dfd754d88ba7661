#pragma once
// Persistent memory (Sukhbaatar et al. 2019, "Augmenting self-attention with persistent memory"): N learned
// key/value slots per head beside the context, in the same softmax; with replace_mlp, they replace the MLP.
namespace headlight {

struct PersistentMemoryConfig {
    static constexpr const char* kKey = "persistent_memory";
    int slotCount = 0;   // "slots" in config.json (not the field name: Qt reserves `slots`)
    bool replaceMlp = false;
};

namespace persistent_memory {
inline constexpr const char* kAttention = "memory_attention";   // [h,T,N] per captured layer: p on each slot
inline constexpr const char* kKeys = "memory_key";              // the tensors it adds to every layer, [H,N,d]
inline constexpr const char* kValues = "memory_value";
} // namespace persistent_memory

} // namespace headlight
