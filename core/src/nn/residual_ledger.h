#pragma once
// Internal: one position's residual stream kept as a sum of parts (the embeddings, each head of each layer, each
// MLP, the bias terms), followed through the forward pass with every norm's scale frozen at that position, as
// TransformerLens does for direct logit attribution. The parts always add up to the stream at that position.
// Families report their layer's writes through LayerContext (families/family.h); analysis/attribution.cpp reads
// the parts. Batch of one.
#include "nn/layers.h"

#include <functional>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

// A norm as a family applies it (LayerNorm, or RMSNorm scaling by offset + w), so that it can also be applied
// with its scale frozen.
struct Norm {
    torch::Tensor weight, bias;   // bias: LayerNorm's (may be undefined)
    double eps = 1e-5;
    double offset = 0.0;
    bool centered = true;         // LayerNorm; false: RMSNorm
    static Norm layer(const torch::Tensor& w, const torch::Tensor& b, double eps) { return {w, b, eps, 0.0, true}; }
    static Norm rms(const torch::Tensor& w, double eps, double offset = 0.0) { return {w, {}, eps, offset, false}; }
    torch::Tensor operator()(const torch::Tensor& x) const { return centered ? layerNorm(x, weight, bias, eps) : rmsNorm(x, weight, eps, offset); }
};

struct LedgerPart {
    std::string kind;   // "embeddings", "head", "mlp", "bias"
    int layer = -1;     // -1 for the embeddings and the output layer's biases
    int head = -1;
    std::string name;   // "L3.H5", "L3 MLP", "L3 attention bias", "norm biases", ...
};

class ResidualLedger {
public:
    explicit ResidualLedger(int64_t position) : position_(position) {}
    int64_t position() const { return position_; }

    // The stream before layer 0: x [1,T,D].
    void start(const torch::Tensor& x);
    void beginLayer(int layer) { layer_ = layer; }
    // Attention's write: `project` (affine: the output projection and its bias) of the merged heads [1,T,H*d];
    // each head's share is project(that head alone) - project(0), the bias project(0). Opens a branch.
    void heads(const torch::Tensor& merged, int64_t heads, const std::function<torch::Tensor(const torch::Tensor&)>& project);
    // The MLP's write [1,T,D] (its biases included, as TransformerLens counts them). Opens a branch.
    void mlp(const torch::Tensor& out);
    // `norm` applied to the open branch, whose sum at the position is y [1,T,D] (Gemma 2's sandwich norms).
    void branchNorm(const Norm& norm, const torch::Tensor& y);
    // `norm` applied to the whole stream, whose value at the position is `sum` [1,T,D] (post-norm layers, the
    // final norm): commits the open branch first.
    void residualNorm(const Norm& norm, const torch::Tensor& sum);
    void endLayer() { commit(); }

    // The output side: every part through an affine map (W [out,in], b [out] or undefined), an elementwise
    // activation frozen as its gain act(z)/z at the position (z: the sum there, [out]), a final dot product.
    void affine(const torch::Tensor& w, const torch::Tensor& b);
    void frozenActivation(const torch::Tensor& z, const std::string& activation);
    // [C] each part's dot product with `row` [D] (the output layer's row of a token), `bias` added to the
    // output-bias part.
    std::vector<double> dot(const torch::Tensor& row, double bias = 0.0);

    const std::vector<LedgerPart>& parts() const { return names_; }
    torch::Tensor sum() const;   // [D] float64: what the parts add up to

private:
    void add(LedgerPart part, const torch::Tensor& value);
    // Adds `value` to the bias part `name` (the open branch's when `inBranch`), creating it; skips a zero bias.
    void addBias(const std::string& name, int layer, const torch::Tensor& value, bool inBranch);
    void applyNorm(const Norm& norm, const torch::Tensor& total, size_t from);
    void commit() { branchFrom_ = names_.size(); }

    int64_t position_;
    int layer_ = -1;
    std::vector<LedgerPart> names_;
    std::vector<torch::Tensor> values_;   // [D] float64 each
    size_t branchFrom_ = 0;               // parts from here on form the open branch
};

} // namespace headlight
