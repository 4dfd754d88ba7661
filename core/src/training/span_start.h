#pragma once
// Internal: where a fit of adaptive spans to a trained model starts. The span mask passes a gradient only inside
// its ramp, so gradient descent alone stays near its start: from full spans it stops far wider than needed, from
// zero a head that needs to read 32 tokens back never finds them (docs/fitting.md has the measurements). So each
// head's start is searched first, on a probe batch, by the objective itself (task loss plus the span penalty):
// from every span full (the model as it was), whole layers and single heads moved to the value from a grid of
// fractions of max_span that lowers it most, in rounds (span_start.cpp).
#include "model/transformer.h"
#include "training/batches.h"

#include <torch/types.h>

namespace headlight {

struct SpanSearch {
    int evaluations = 0;      // forward passes made
    double before = 0, after = 0;   // the objective with every span full (the model as it was) and at the chosen
};

// Sets every layer's span_fraction of `model` (which has adaptive spans) to the chosen starts. `ids` [B,T] and
// `targets` [B,T] (-1 unscored) are the probe batch, on the model's device; `lambda` the span_lambda.
SpanSearch searchSpanStarts(Transformer& model, const torch::Tensor& ids, const torch::Tensor& targets, double lambda);
// The same on a probe batch drawn from `examples` with a generator of its own (seeded from `seed`), so the run's
// batches are those it would draw without the search: 32 examples for a model of at most 80 heads (each head is
// searched), `batchSize` for a larger one (whole layers only: about a second per layer and grid value).
SpanSearch searchSpanStarts(Transformer& model, const ExampleSource& examples, uint64_t seed, int batchSize, double lambda,
                            const torch::Device& device);

} // namespace headlight
