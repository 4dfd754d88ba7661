#pragma once
// Internal: the building blocks every family is made of, each exactly as Hugging Face computes it in float32.
#include "headlight/model_config.h"

#include <string>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

// Reduced-precision weights (Engine::load's dtype): a matrix stored in bfloat16 or float16 multiplies
// activations rounded to its dtype, and the product comes back in the activations' dtype (float32), so norms,
// softmax and the residual stream stay float32. With float32 weights these are the plain LibTorch calls.
// (Models built in float64 for gradient checks stay float64 throughout: only the reduced dtypes convert.)
inline bool isReducedPrecision(torch::ScalarType t) { return t == torch::kBFloat16 || t == torch::kHalf; }
// `t` converted to `in` when that is a reduced dtype; otherwise `t` itself.
inline torch::Tensor inProductType(const torch::Tensor& t, torch::ScalarType in) { return isReducedPrecision(in) ? t.to(in) : t; }
// a @ b computed in `in` when that is a reduced dtype, returned in a's dtype; otherwise torch::matmul(a, b).
torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b, torch::ScalarType in);
// a @ w computed in w's dtype (a logit layer over a stored matrix).
inline torch::Tensor product(const torch::Tensor& a, const torch::Tensor& w) { return product(a, w, w.scalar_type()); }
// Rows `ids` of an embedding table, in float32 when the table is stored in a reduced dtype.
torch::Tensor embeddingRows(const torch::Tensor& table, const torch::Tensor& ids);

// y = x W^T + b, W [out,in] (torch.nn.Linear); b may be undefined.
torch::Tensor dense(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {});
// y = x W + b, W [in,out] (GPT-2's Conv1D).
torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);
torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps);
// x / sqrt(mean(x^2) + eps) * w (Llama); with `offset` 1, * (1 + w) (Gemma).
torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& w, double eps, double offset = 0.0);
// gelu_new / gelu_pytorch_tanh (tanh approximation), gelu (erf), silu, relu.
torch::Tensor activation(const torch::Tensor& x, const std::string& name);
bool isSupportedActivation(const std::string& name);

// Rotary embeddings for positions 0..T-1: cos and sin [T, dims] (the frequencies repeated for both halves),
// computed in float64 and rounded once.
struct RotaryTables {
    torch::Tensor cos, sin;
};
RotaryTables rotaryTables(const RotaryConfig& r, int64_t T, const torch::Device& device);
// Rotates the first `dims` features of x [B,H,T,d] (halves rotated, as Hugging Face's rotate_half).
torch::Tensor applyRotary(const torch::Tensor& x, const RotaryTables& t);

} // namespace headlight
