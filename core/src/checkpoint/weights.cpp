#include "checkpoint/weights.h"

#include "headlight/error.h"

#include <cmath>

namespace headlight {

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
