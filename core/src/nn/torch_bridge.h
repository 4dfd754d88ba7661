#pragma once
// Internal: conversions between LibTorch tensors and the core's torch-free value types.
#include "headlight/array.h"

#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

// Zero-copy when `t` is a contiguous float32 CPU tensor: the array keeps the tensor alive.
FloatArray toArray(torch::Tensor t);
// Copies into a new float32 tensor on `device`.
torch::Tensor toTensor(const FloatArray& a, const torch::Device& device = torch::kCPU);
// Parses "cpu", "cuda", "cuda:N"; throws headlight::Error naming `argName` when unusable here.
torch::Device parseDevice(const std::string& spec, const std::string& argName = "--device");
// Parses "float32", "bfloat16", "float16" for computing on `device`; throws headlight::Error naming `argName`
// for another name, or for float16 on a CPU whose LibTorch has no float16 matrix products.
torch::ScalarType parseDtype(const std::string& spec, const torch::Device& device, const std::string& argName = "--dtype");
std::string dtypeName(torch::ScalarType dtype);

} // namespace headlight
