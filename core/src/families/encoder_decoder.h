#pragma once
// Internal: what an encoder-decoder family is (Marian, BART, T5). The encoder reads the source; each decoder
// layer attends to the decoder's own earlier tokens, then to the encoder's output (cross-attention), through
// LayerContext::attend and LayerContext::attendSource, both the one attention (attention/attention.h). The
// layer loops, head masks and capture live in model/encoder_decoder_model.cpp, not here.
#include "families/family.h"

#include <string>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

class ConfigReader;

// eos_token_id when it is one token id (a list or null: -1), where greedy decoding stops.
int64_t readEosTokenId(const ConfigReader& r);

class EncoderDecoderArchitecture {
public:
    explicit EncoderDecoderArchitecture(ModelConfig config);
    virtual ~EncoderDecoderArchitecture() = default;

    const ModelConfig& config() const { return c_; }
    // Every tensor slot in file order.
    virtual void visit(const TensorVisitor& v) = 0;
    // The name a file's tensor has in visit() ("" = a copy of a tied tensor or a buffer: skip it).
    virtual std::string canonicalName(const std::string& fileName) const { return fileName; }

    virtual torch::Tensor embedSource(const torch::Tensor& ids) const = 0;                         // [B,S] -> [B,S,D]
    virtual torch::Tensor encoderLayer(int l, const torch::Tensor& x, const LayerContext& ctx) const = 0;
    virtual torch::Tensor encoderFinalNorm(const torch::Tensor& x) const { return x; }
    virtual torch::Tensor embedTarget(const torch::Tensor& ids) const = 0;                         // [B,T] -> [B,T,D]
    // `source` [B,S,D] is the encoder's output (after its final norm).
    virtual torch::Tensor decoderLayer(int l, const torch::Tensor& x, const torch::Tensor& source,
                                       const LayerContext& ctx) const = 0;
    virtual torch::Tensor decoderFinalNorm(const torch::Tensor& x) const { return x; }
    virtual torch::Tensor logits(const torch::Tensor& hidden) const = 0;                           // [B,T,V]
    virtual std::string outputLayer() const = 0;
    // Added to every self-attention logit of a stack, [1,H,T,T] (T5's relative positions); undefined: none.
    virtual torch::Tensor selfAttentionBias(bool decoder, int64_t tokens, const torch::Device& device) const;

protected:
    // [B,T,H*d] -> [B,H,T,d].
    torch::Tensor splitHeads(const torch::Tensor& x) const;
    ModelConfig c_;
};

} // namespace headlight
