#include "nn/layers.h"

#include "headlight/error.h"

#include <cmath>
#include <torch/nn/functional/linear.h>

namespace headlight {

torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b, torch::ScalarType in) {
    if (!isReducedPrecision(in)) return torch::matmul(a, b);
    return torch::matmul(a.to(in), b.to(in)).to(a.scalar_type());
}

torch::Tensor embeddingRows(const torch::Tensor& table, const torch::Tensor& ids) {
    auto r = table.index_select(0, ids);
    return isReducedPrecision(table.scalar_type()) ? r.to(torch::kFloat) : r;
}

torch::Tensor dense(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    if (!isReducedPrecision(w.scalar_type())) return torch::nn::functional::linear(x, w, b);
    // The bias (a vector, kept in float32) is added after the product returns to float32.
    auto y = torch::nn::functional::linear(x.to(w.scalar_type()), w).to(x.scalar_type());
    return b.defined() ? y + b : y;
}

torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    auto sizes = x.sizes().vec();
    sizes.back() = w.size(1);
    if (isReducedPrecision(w.scalar_type()))
        return (torch::mm(x.reshape({-1, x.size(-1)}).to(w.scalar_type()), w).to(x.scalar_type()) + b).view(sizes);
    return torch::addmm(b, x.reshape({-1, x.size(-1)}), w).view(sizes);
}

torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps) {
    return torch::layer_norm(x, {x.size(-1)}, w, b, eps);
}

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& w, double eps, double offset) {
    auto normed = x * torch::rsqrt(x.pow(2).mean(-1, true) + eps);
    return offset == 0.0 ? normed * w : normed * (w + offset);
}

bool isSupportedActivation(const std::string& n) {
    return n == "gelu_new" || n == "gelu_pytorch_tanh" || n == "gelu" || n == "silu" || n == "swish" || n == "relu";
}

torch::Tensor activation(const torch::Tensor& x, const std::string& n) {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) in one pass over x instead of eight (same formula).
    if (n == "gelu_new" || n == "gelu_pytorch_tanh") return torch::gelu(x, "tanh");
    if (n == "gelu") return torch::gelu(x);
    if (n == "silu" || n == "swish") return torch::silu(x);
    if (n == "relu") return torch::relu(x);
    throw Error("activation", "\"" + n + "\" is not supported");
}

RotaryTables rotaryTables(const RotaryConfig& r, int64_t T, const torch::Device& device) {
    const auto f64 = torch::TensorOptions().dtype(torch::kDouble);
    auto invFreq = 1.0 / torch::pow(r.theta, torch::arange(0, r.dims, 2, f64) / static_cast<double>(r.dims));   // [dims/2]
    if (r.scaling == "linear") {
        invFreq = invFreq / r.factor;
    } else if (r.scaling == "llama3") {
        // Long wavelengths are slowed by `factor`, short ones kept, the band between blended smoothly.
        const double oldContext = r.originalMaxPositions;
        const double lowWavelen = oldContext / r.lowFreqFactor, highWavelen = oldContext / r.highFreqFactor;
        auto wavelen = 2.0 * M_PI / invFreq;
        auto scaled = torch::where(wavelen > lowWavelen, invFreq / r.factor, invFreq);
        auto smooth = (oldContext / wavelen - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
        auto smoothed = (1.0 - smooth) * scaled / r.factor + smooth * scaled;
        auto medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
        invFreq = torch::where(medium, smoothed, scaled);
    }
    // transformers keeps inv_freq as a buffer in the checkpoint's dtype: a bfloat16 model rotates by rounded
    // frequencies, and users compare against exactly that.
    const auto freqType = r.frequencyDtype == "bfloat16" ? torch::kBFloat16 : r.frequencyDtype == "float16" ? torch::kHalf : torch::kFloat;
    invFreq = invFreq.to(freqType).to(torch::kDouble);
    auto freqs = torch::outer(torch::arange(T, f64), invFreq);                                   // [T,dims/2]
    auto emb = torch::cat({freqs, freqs}, -1);                                                    // [T,dims]
    return {emb.cos().to(device, torch::kFloat), emb.sin().to(device, torch::kFloat)};
}

torch::Tensor applyRotary(const torch::Tensor& x, const RotaryTables& t) {
    const int64_t dims = t.cos.size(-1), d = x.size(-1);
    auto rot = dims == d ? x : x.narrow(-1, 0, dims);
    auto x1 = rot.narrow(-1, 0, dims / 2), x2 = rot.narrow(-1, dims / 2, dims / 2);
    auto rotated = rot * t.cos + torch::cat({-x2, x1}, -1) * t.sin;
    return dims == d ? rotated : torch::cat({rotated, x.narrow(-1, dims, d - dims)}, -1);
}

} // namespace headlight
