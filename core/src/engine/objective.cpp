#include "engine/objective.h"

#include "headlight/error.h"
#include "headlight/tokenizer.h"

namespace headlight {

Objective objectiveOf(const ModelConfig& c) { return c.causal ? Objective::NextToken : Objective::MaskedToken; }

const char* objectiveName(Objective o) { return o == Objective::NextToken ? "next token" : "masked token"; }

torch::Tensor nextTokenNll(const torch::Tensor& logits, const torch::Tensor& ids) {
    const int64_t T = ids.size(-1);
    auto logProbs = torch::log_softmax(logits.narrow(-2, 0, T - 1), -1);          // [B,T-1,V]
    return -logProbs.gather(-1, ids.narrow(-1, 1, T - 1).unsqueeze(-1)).squeeze(-1);
}

torch::Tensor nextTokenHits(const torch::Tensor& logits, const torch::Tensor& ids) {
    const int64_t T = ids.size(-1);
    return (logits.narrow(-2, 0, T - 1).argmax(-1) == ids.narrow(-1, 1, T - 1)).to(logits.scalar_type());
}

torch::Tensor scoredMean(const torch::Tensor& perPosition, const torch::Tensor& scored) {
    return (perPosition * scored).sum(-1) / scored.sum(-1).clamp_min(1.0);
}

void requireNextToken(const ModelConfig& c, const std::string& what) {
    if (objectiveOf(c) != Objective::NextToken)
        throw Error(what, std::string("needs a next-token model; ") + c.modelType +
                              " is scored on masked tokens (use --text or --data: their tokens are masked and predicted)");
}

torch::Tensor targetNll(const torch::Tensor& logits, const torch::Tensor& targets) {
    auto logProbs = torch::log_softmax(logits, -1);                                // [B,T,V]
    auto scored = targets >= 0;
    auto nll = -logProbs.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1);
    return nll * scored.to(nll.scalar_type());
}

torch::Tensor targetHits(const torch::Tensor& logits, const torch::Tensor& targets) {
    return (logits.argmax(-1) == targets).to(logits.scalar_type());               // -1 never equals an argmax
}

torch::Tensor targetMean(const torch::Tensor& perPosition, const torch::Tensor& targets) {
    auto scored = (targets >= 0).to(perPosition.scalar_type());
    return (perPosition * scored).sum(-1) / scored.sum(-1).clamp_min(1.0);
}

ScoredExample nextTokenExample(std::vector<int64_t> ids, const std::vector<uint8_t>& scored) {
    ScoredExample ex;
    ex.targets.assign(ids.size(), -1);
    for (size_t t = 0; t + 1 < ids.size() && t < scored.size(); ++t)
        if (scored[t]) ex.targets[t] = ids[t + 1];
    ex.ids = std::move(ids);
    return ex;
}

std::vector<ScoredExample> maskedTokenExamples(const std::vector<int64_t>& ids, const Tokenizer& tokenizer,
                                               const std::string& where) {
    const auto mask = tokenizer.maskTokenId();
    if (!mask) throw Error(where, "the tokenizer has no [MASK] token to score a masked-token model with");
    std::vector<size_t> maskable;
    for (size_t t = 0; t < ids.size(); ++t)
        if (ids[t] != *mask && !tokenizer.isSpecial(ids[t])) maskable.push_back(t);
    if (maskable.empty()) throw Error(where, "has no token to mask (only special tokens)");
    const size_t groups = std::min<size_t>(maskable.size(), kMaskGroups);
    std::vector<ScoredExample> out(groups);
    for (auto& ex : out) {
        ex.ids = ids;
        ex.targets.assign(ids.size(), -1);
    }
    for (size_t k = 0; k < maskable.size(); ++k) {
        ScoredExample& ex = out[k % groups];
        ex.targets[maskable[k]] = ids[maskable[k]];
        ex.ids[maskable[k]] = *mask;
    }
    return out;
}

} // namespace headlight
