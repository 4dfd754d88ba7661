#pragma once
// Internal: conversions between LibTorch tensors and the core's torch-free value types.
#include "headlight/array.h"

#include <torch/torch.h>

namespace headlight {

// Zero-copy when `t` is a contiguous float32 CPU tensor: the array keeps the tensor alive.
FloatArray toArray(torch::Tensor t);
// Copies into a new float32 tensor on `device`.
torch::Tensor toTensor(const FloatArray& a, const torch::Device& device = torch::kCPU);
// Parses "cpu", "cuda", "cuda:N"; throws headlight::Error naming `argName` when unusable here.
torch::Device parseDevice(const std::string& spec, const std::string& argName = "--device");

} // namespace headlight
