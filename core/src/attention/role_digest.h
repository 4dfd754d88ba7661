#pragma once
// Internal: every head's role scores (headlight/head_roles.h) summed while attend() computes its attention, block
// of query rows by block, so a long input needs no [T,T] per head. Batch of one.
#include <array>
#include <cstdint>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

struct LayerCapture;

// What the role scores read of the input, built once per run (the same for every layer).
struct RoleProbe {
    torch::Tensor ids;        // [T] int64 x_i
    torch::Tensor previous;   // [T] int64 x_{j-1} at key j (-1 at j = 0): induction's keys
    torch::Tensor rareKey;    // [T] int64 r(i), -1 where none; undefined without token counts
    // The queries each measured role averages over (MeasuredRole order).
    std::array<double, 6> queries{};

    // `rareKeys`: rareTokenKeys() of the ids, or empty when the run has no token counts.
    static RoleProbe make(const std::vector<int64_t>& ids, const std::vector<int64_t>& rareKeys, const torch::Device& device);
};

class RoleDigest {
public:
    RoleDigest(const RoleProbe& probe, int64_t heads);
    // probs: [H,n,keys], the probabilities of query rows row0..row0+n-1 over keys col0..col0+keys-1 (keys outside
    // that range have probability 0 for these rows).
    void add(const torch::Tensor& probs, int64_t row0, int64_t col0);
    // LayerCapture::roleScores: [H,R] float32 means (NaN where no query qualifies).
    void finish(LayerCapture& out) const;

private:
    const RoleProbe& probe_;
    torch::Tensor sums_;   // [H,R] float64
};

} // namespace headlight
