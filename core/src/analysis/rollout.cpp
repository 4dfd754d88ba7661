// Attention rollout (Abnar & Zuidema 2020) in float64: each layer's head-mean attention, half of it kept on the
// token itself for the residual connection, rows renormalised, multiplied onto the product of the layers below.
#include "headlight/logit_lens.h"

#include "headlight/error.h"
#include "nn/torch_bridge.h"

namespace headlight {

AttentionRollout::AttentionRollout(int64_t tokens) : T_(tokens) {}

void AttentionRollout::addLayer(const FloatArray& attention) {
    if (attention.rank() != 3 || attention.dim(1) != T_ || attention.dim(2) != T_)
        throw Error("rollout", "a layer's attention has shape " + attention.shapeString() + ", not [H," + std::to_string(T_) + "," +
                                   std::to_string(T_) + "]");
    auto a = toTensor(attention).to(torch::kDouble).mean(0);                         // [T,T]
    a = 0.5 * a + 0.5 * torch::eye(T_, torch::kDouble);
    a = a / a.sum(-1, true);
    torch::Tensor r = layers_ == 0 ? a : torch::matmul(a, torch::from_blob(r_.data(), {T_, T_}, torch::kDouble));
    r = r.contiguous();
    r_.assign(r.data_ptr<double>(), r.data_ptr<double>() + T_ * T_);
    ++layers_;
}

FloatArray AttentionRollout::result() const {
    if (layers_ == 0) throw Error("rollout", "no layer added");
    std::vector<float> v(r_.begin(), r_.end());
    return FloatArray({T_, T_}, std::move(v));
}

FloatArray attentionRollout(const Trace& trace, const ModelConfig& config) {
    const auto T = static_cast<int64_t>(trace.tokenIds.size());
    AttentionRollout rollout(T);
    for (int l = 0; l < config.nLayer; ++l) {
        const LayerTrace* lt = trace.layer(l);
        if (!lt || static_cast<int>(lt->heads.size()) != config.nHead)
            throw Error("rollout", "needs every head of every layer; the run did not capture all of layer " + std::to_string(l));
        rollout.addLayer(lt->attention);
    }
    return rollout.result();
}

} // namespace headlight
