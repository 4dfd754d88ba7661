#pragma once
// Internal: Hard Concrete / L0 head gates (Voita et al. 2019). Each head's output is scaled by a gate in
// [0, 1]; training samples the gates and penalises the expected number of open ones.
#include "headlight/mechanisms/head_gates.h"
#include "mechanisms/mechanism.h"

namespace headlight {

const Mechanism& headGates();

// Deterministic (inference) gate: clamp(sigmoid(log_alpha) * (zeta - gamma) + gamma, 0, 1).
torch::Tensor gateValues(const HeadGatesConfig& g, const torch::Tensor& logAlpha);
// Training: one Hard Concrete sample per head, u ~ U(1e-6, 1 - 1e-6),
// g = clamp(sigmoid((ln u - ln(1 - u) + log_alpha) / temperature) * (zeta - gamma) + gamma, 0, 1).
torch::Tensor sampleHardConcrete(const HeadGatesConfig& g, const torch::Tensor& logAlpha, torch::Generator& gen);
// P(gate != 0) = sigmoid(log_alpha - temperature * ln(-gamma / zeta)).
torch::Tensor gateOpenProbability(const HeadGatesConfig& g, const torch::Tensor& logAlpha);
// The regulariser: mean over layers of the sum over heads of P(gate open).
torch::Tensor l0Penalty(const MechanismHost& model);
// The deterministic gates of every layer, [L,H] on the CPU (empty without head gates).
FloatArray gateGrid(const MechanismHost& model);

} // namespace headlight
