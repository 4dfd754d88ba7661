#include "families/encoder_decoder.h"

namespace headlight {

EncoderDecoderArchitecture::EncoderDecoderArchitecture(ModelConfig config) : c_(std::move(config)) {}

torch::Tensor EncoderDecoderArchitecture::selfAttentionBias(bool, int64_t, const torch::Device&) const { return {}; }

torch::Tensor EncoderDecoderArchitecture::splitHeads(const torch::Tensor& x) const {
    return x.view({x.size(0), x.size(1), c_.nHead, c_.headDim()}).transpose(1, 2);
}

} // namespace headlight
