#pragma once
// Internal: every head's attention summarised while attend() computes it, block of query rows by block, so a
// long input yields all heads' statistics and pooled pictures without keeping any [H,T,T] (see LayerDigest in
// headlight/trace.h for what each number means). Batch of one.
#include "attention/attention.h"

#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

class AttentionDigest {
public:
    // How add() reads a block: Auto takes one pass per block over float32 probabilities on the CPU (OnePass) and
    // tensor operations elsewhere (Tensors); the two are forced only to compare them.
    enum class Path { Auto, OnePass, Tensors };
    // causal: no row sees a key after its query (those probabilities are 0), so the one pass stops there.
    AttentionDigest(const KeepAttention& keep, int64_t heads, int64_t tokens, const torch::Device& device, Path path = Path::Auto,
                    bool causal = false);

    // probs: [H,n,keys], the final probabilities of query rows row0..row0+n-1 over keys col0..col0+keys-1
    // (keys outside that range have probability 0 for these rows).
    void add(const torch::Tensor& probs, int64_t row0, int64_t col0);
    // Moves the sums and images into `out` (LayerCapture: statSums, pooledMax, pooledMean, pooledBin).
    void finish(LayerCapture& out);

private:
    // Every statistic and cell of the block in one pass over its probabilities, the logarithms taken inline
    // (attention/fast_log.h): each value is read once, with no [H,n,keys] temporaries.
    void addOnePass(const torch::Tensor& probs, int64_t row0, int64_t col0);
    void addStats(const torch::Tensor& probs, int64_t row0, int64_t col0, const torch::Tensor& maxWeight);
    // Returns each row's largest weight [H,n] when it pooled columns (undefined when cells are single tokens).
    torch::Tensor addPooled(const torch::Tensor& probs, int64_t row0, int64_t col0);

    Path path_;
    bool causal_;
    bool stats_;
    int64_t H_, T_, bin_ = 0, cells_ = 0;
    torch::Tensor sums_;            // [H,4] float64
    torch::Tensor max_, sum_;       // [H,C,C] float32
};

} // namespace headlight
