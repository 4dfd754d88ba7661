#include "checkpoint/weights.h"

#include "headlight/error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace headlight {
namespace {

// True when every value is finite. float32 on the CPU (every tensor of a zero-copy load) is scanned in place
// by exponent bits, without the bool tensor torch::isfinite would allocate; other tensors go through torch.
bool allFinite(const torch::Tensor& t) {
    if (!t.is_floating_point()) return true;
    if (!(t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous()))
        return torch::isfinite(t).all().item<bool>();
    const auto* bits = reinterpret_cast<const uint32_t*>(t.data_ptr<float>());
    const int64_t n = t.numel();
    constexpr uint32_t kExponent = 0x7f800000u;   // all ones: infinity or NaN
    for (int64_t start = 0; start < n; start += 4096) {
        const int64_t end = std::min(n, start + 4096);
        uint32_t bad = 0;
        for (int64_t i = start; i < end; ++i) bad |= static_cast<uint32_t>((bits[i] & kExponent) == kExponent);
        if (bad) return false;
    }
    return true;
}

} // namespace

std::string shapeText(const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
}

void WeightPicker::operator()(const TensorSlot& slot) {
    auto it = tensors_.find(slot.name);
    if (it == tensors_.end()) {
        if (slot.optional) return;
        throw Error(source_, "tensor \"" + slot.name + "\" is missing (expected shape " + shapeText(slot.shape) + ")");
    }
    if (it->second.sizes().vec() != slot.shape)
        throw Error(source_, "tensor \"" + slot.name + "\" has shape " + shapeText(it->second.sizes().vec()) +
                                 ", expected " + shapeText(slot.shape));
    // NaN or infinity in a weight makes every output NaN, which views would draw as numbers: refuse it here,
    // naming the tensor. One pass over each tensor's values.
    const torch::Tensor& t = it->second;
    if (!allFinite(t)) {
        const int64_t bad = t.numel() - torch::isfinite(t).sum().item<int64_t>();
        throw Error(source_, "tensor \"" + slot.name + "\" holds " + std::to_string(bad) + " NaN or infinite value" +
                                 (bad == 1 ? "" : "s") + " (of " + std::to_string(t.numel()) + ")");
    }
    *slot.tensor = std::move(it->second);
    tensors_.erase(it);
}

void WeightPicker::rejectLeftovers() const {
    if (!tensors_.empty())
        throw Error(source_, "unexpected tensor \"" + printableText(tensors_.begin()->first, 80) + "\" (not part of this config)");
}

void WeightInitializer::operator()(const TensorSlot& slot) {
    if (slot.optional && !slot.optionalButInitialized) return;
    switch (slot.init.kind) {
    case Init::Constant:
        *slot.tensor = torch::full(slot.shape, slot.init.value);
        break;
    case Init::Normal:
        *slot.tensor = at::normal(0.0, slot.init.value, slot.shape, gen_);
        break;
    case Init::Residual:
        *slot.tensor = at::normal(0.0, 0.02 / std::sqrt(2.0 * nLayer_), slot.shape, gen_);
        break;
    }
}

} // namespace headlight
