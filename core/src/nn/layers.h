#pragma once
// Internal: the building blocks every family is made of, each exactly as Hugging Face computes it in float32.
#include "headlight/model_config.h"

#include <string>
#include <torch/torch.h>

namespace headlight {

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
