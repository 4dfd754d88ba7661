#include "families/encoder_decoder.h"

#include "checkpoint/config_reader.h"

namespace headlight {

int64_t readEosTokenId(const ConfigReader& r) {
    const auto& j = r.json();   // a generic key: marked read by ConfigReader itself
    if (j.contains("eos_token_id") && j.at("eos_token_id").is_number_integer()) return j.at("eos_token_id").get<int64_t>();
    return -1;
}

EncoderDecoderArchitecture::EncoderDecoderArchitecture(ModelConfig config) : c_(std::move(config)) {}

torch::Tensor EncoderDecoderArchitecture::selfAttentionBias(bool, int64_t, const torch::Device&) const { return {}; }

torch::Tensor EncoderDecoderArchitecture::splitHeads(const torch::Tensor& x) const {
    return x.view({x.size(0), x.size(1), c_.nHead, c_.headDim()}).transpose(1, 2);
}

} // namespace headlight
