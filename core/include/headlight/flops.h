#pragma once
// The arithmetic a forward pass cannot avoid, and how fast this machine multiplies matrices: benchmarks state
// their times as a ratio to this FLOP limit, measured in the same run.
#include "headlight/model_config.h"

#include <cstdint>

namespace headlight {

// Floating-point operations of one forward pass over T tokens (batch 1): the matrix products of every layer
// (q, k, v, output and MLP projections), q.k and p.v over the keys each query may see (causal: the lower
// triangle with its diagonal; sliding windows: the window) and the output layer. Counts 2 per multiply-add;
// ignores norms, softmax and activations, which are O(T) or O(T^2) without a factor of head_dim.
double forwardFlops(const ModelConfig& config, int64_t T);

// Float32 matrix-product rate of this process's LibTorch on the CPU: the best of `repeat` products of two
// n x n matrices, in FLOP per second.
double matmulFlopsPerSecond(int64_t n = 1024, int repeat = 5);

} // namespace headlight
