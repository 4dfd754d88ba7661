#pragma once
// Selective attention (Leviathan et al. 2024): one head's logits decide what every head of the layer forgets.
// S = relu(selector logits) strictly below the diagonal (the first token never masked), shifted down a row;
// F = cumsum(S) over queries is subtracted from every head's logits. Context budgets evict the largest F.
namespace headlight {

struct SelectiveAttentionConfig {
    static constexpr const char* kKey = "selective_attention";
    int selectorHead = 0;
};

namespace selective_attention {
inline constexpr const char* kSelection = "selection";                       // S, [T,T] per captured layer
inline constexpr const char* kSelectionCumulative = "selection_cumulative";  // F, [T,T]
inline constexpr const char* kEvictedAt = "evicted_at";   // [T] with a budget: the query step that evicted each token, -1 kept
} // namespace selective_attention

} // namespace headlight
