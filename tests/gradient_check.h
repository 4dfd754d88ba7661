#pragma once
// The gradient check the suites that reach into the core's losses share (test_training, test_fitting): autograd
// against central differences. Header-only: only those suites link LibTorch.
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace headlight::test {

// Largest |autograd - central difference| over every element of `x` for scalar function f.
inline double gradientError(const std::function<torch::Tensor()>& f, torch::Tensor x) {
    auto y = f();
    auto grad = torch::autograd::grad({y}, {x})[0].clone();
    double worst = 0;
    torch::NoGradGuard noGrad;
    auto flat = x.view(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) {
        const double h = 1e-6, keep = flat[i].item<double>();
        flat[i] = keep + h;
        const double up = f().item<double>();
        flat[i] = keep - h;
        const double down = f().item<double>();
        flat[i] = keep;
        worst = std::max(worst, std::fabs((up - down) / (2 * h) - grad.view(-1)[i].item<double>()));
    }
    return worst;
}

} // namespace headlight::test
