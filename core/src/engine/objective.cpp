#include "engine/objective.h"

#include "headlight/error.h"

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
                              " is scored on masked tokens, and masked-token analyses are not supported yet");
}

} // namespace headlight
