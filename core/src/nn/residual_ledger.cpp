// One position's residual stream as a sum of parts. Every part is float64 [D]; a frozen norm scales each part by
// the factor the real norm applied at that position (computed from the real sum), so the parts keep adding up.
#include "nn/residual_ledger.h"

#include "headlight/error.h"

#include <cmath>

namespace headlight {
namespace {

torch::Tensor at(const torch::Tensor& x, int64_t position) { return x.select(0, 0).select(0, position).to(torch::kDouble); }

} // namespace

void ResidualLedger::add(LedgerPart part, const torch::Tensor& value) {   // joins the open branch, if any
    names_.push_back(std::move(part));
    values_.push_back(value.to(torch::kDouble).flatten());
}

void ResidualLedger::addBias(const std::string& name, int layer, const torch::Tensor& value, bool inBranch) {
    if (value.abs().max().item<double>() == 0.0) return;   // a family without this bias
    for (size_t i = inBranch ? branchFrom_ : 0; i < names_.size(); ++i)
        if (names_[i].name == name) {
            values_[i] = values_[i] + value.to(torch::kDouble).flatten();
            return;
        }
    add({"bias", layer, -1, name}, value);
}

void ResidualLedger::start(const torch::Tensor& x) {
    if (position_ < 0 || position_ >= x.size(1)) throw Error("attribute", "position out of range");
    names_.clear();
    values_.clear();
    add({"embeddings", -1, -1, "embeddings"}, at(x, position_));
    commit();
}

void ResidualLedger::heads(const torch::Tensor& merged, int64_t heads, const std::function<torch::Tensor(const torch::Tensor&)>& project) {
    commit();
    const int64_t width = merged.size(-1), d = width / heads;
    const auto row = merged.select(0, 0).select(0, position_);                     // [H*d]
    auto alone = torch::zeros({heads + 1, 1, width}, merged.options());            // row h: head h only; last: none
    for (int64_t h = 0; h < heads; ++h) alone[h][0].narrow(0, h * d, d).copy_(row.narrow(0, h * d, d));
    const auto written = project(alone).to(torch::kDouble);                        // [H+1,1,D]
    const auto bias = written[heads][0];
    for (int64_t h = 0; h < heads; ++h)
        add({"head", layer_, static_cast<int>(h), "L" + std::to_string(layer_) + ".H" + std::to_string(h)}, written[h][0] - bias);
    addBias("L" + std::to_string(layer_) + " attention bias", layer_, bias, true);
}

void ResidualLedger::mlp(const torch::Tensor& out) {
    commit();
    add({"mlp", layer_, -1, "L" + std::to_string(layer_) + " MLP"}, at(out, position_));
}

void ResidualLedger::applyNorm(const Norm& norm, const torch::Tensor& total, size_t from) {
    const auto t = total.to(torch::kDouble);
    torch::Tensor scale;   // [D]: what the norm multiplies (x - mean) or x by at this position
    const auto w = norm.weight.to(torch::kDouble).flatten() + norm.offset;
    if (norm.centered) {
        const auto centered = t - t.mean();
        scale = w / std::sqrt((centered * centered).mean().item<double>() + norm.eps);
    } else {
        scale = w / std::sqrt((t * t).mean().item<double>() + norm.eps);
    }
    for (size_t i = from; i < values_.size(); ++i)
        values_[i] = (norm.centered ? values_[i] - values_[i].mean() : values_[i]) * scale;
    if (norm.centered && norm.bias.defined()) addBias("norm biases", -1, norm.bias.to(torch::kDouble).flatten(), from > 0);
}

void ResidualLedger::branchNorm(const Norm& norm, const torch::Tensor& y) { applyNorm(norm, at(y, position_), branchFrom_); }

void ResidualLedger::residualNorm(const Norm& norm, const torch::Tensor& sum) {
    commit();
    applyNorm(norm, at(sum, position_), 0);
}

void ResidualLedger::affine(const torch::Tensor& w, const torch::Tensor& b) {
    commit();
    const auto W = w.to(torch::kDouble);                                            // [out,in]
    for (auto& v : values_) v = torch::mv(W, v);
    if (b.defined()) addBias("output bias", -1, b.to(torch::kDouble).flatten(), false);
}

void ResidualLedger::frozenActivation(const torch::Tensor& z, const std::string& name) {
    const auto zd = z.to(torch::kDouble).flatten();
    const auto act = activation(zd, name);
    // act(z)/z, and its limit act'(0) where z is 0 (0.5 for the GELUs and SiLU, ReLU's right derivative 1 aside).
    const double atZero = name == "relu" ? 0.0 : 0.5;
    const auto gain = torch::where(zd.abs() > 1e-12, act / zd, torch::full_like(zd, atZero));
    for (auto& v : values_) v = v * gain;
}

std::vector<double> ResidualLedger::dot(const torch::Tensor& row, double bias) {
    const auto r = row.to(torch::kDouble).flatten();
    std::vector<double> out;
    out.reserve(values_.size() + 1);
    bool biasPlaced = false;
    for (size_t i = 0; i < values_.size(); ++i) {
        double v = torch::dot(values_[i], r).item<double>();
        if (names_[i].name == "output bias") {
            v += bias;
            biasPlaced = true;
        }
        out.push_back(v);
    }
    if (bias != 0.0 && !biasPlaced) {
        names_.push_back({"bias", -1, -1, "output bias"});
        values_.push_back(torch::zeros_like(r));
        out.push_back(bias);
    }
    return out;
}

torch::Tensor ResidualLedger::sum() const {
    auto s = torch::zeros_like(values_.front());
    for (const auto& v : values_) s = s + v;
    return s;
}

} // namespace headlight
