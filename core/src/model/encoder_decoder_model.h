#pragma once
// Internal: an encoder-decoder model (families/encoder_decoder.h) on a device: the encoder's layer loop, then
// the decoder's, each layer's attention through the one attend() with its kind's head mask and capture.
#include "families/encoder_decoder.h"
#include "headlight/trace.h"

#include <functional>
#include <memory>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {


struct EncoderDecoderOptions {
    // [Le,H], [L,H], [L,H] (1 keep, 0 pruned), or [B,Le,H]...: one mask per batch row (pruning what-ifs), or
    // undefined: every head kept.
    torch::Tensor encoderHeadMask, decoderHeadMask, crossHeadMask;
    // Which layers (of each stack, by number) and heads keep their attention; CaptureSpec::none(): none.
    CaptureSpec capture = CaptureSpec::none();
    std::function<void(int done, int layers)> afterLayer;   // progress over Le + L layers; may throw to stop
};

struct EncoderDecoderResult {
    torch::Tensor logits;                    // [B,T,V]
    torch::Tensor encoderOutput;             // [B,S,D] after the encoder's final norm
    // Per layer [B,h,*,*] for the captured heads, undefined for layers not captured.
    std::vector<torch::Tensor> encoderAttention;   // [B,h,S,S]
    std::vector<torch::Tensor> decoderAttention;   // [B,h,T,T]
    std::vector<torch::Tensor> crossAttention;     // [B,h,T,S]
};

class EncoderDecoderModel {
public:
    // As Transformer's: takes the family's tensors out of `tensors`, checking names and shapes.
    EncoderDecoderModel(const ModelConfig& config, NamedTensors tensors, const std::string& source);
    ~EncoderDecoderModel();

    void storeMatricesAs(torch::ScalarType dtype);   // matrices in dtype, vectors float32 (Transformer's rule)
    const ModelConfig& config() const;
    std::vector<std::pair<std::string, torch::Tensor>> named() const;
    std::string outputLayer() const;

    // sourceIds [B,S], targetIds [B,T] (the decoder's input) -> the decoder's logits for every target position.
    EncoderDecoderResult forward(const torch::Tensor& sourceIds, const torch::Tensor& targetIds,
                                 const EncoderDecoderOptions& options) const;
    // forward() in its two halves, for decoding one token at a time over one encoding: the encoder (encoderOutput
    // and encoderAttention), then the decoder over `result`'s encoder output (the rest of `result`).
    EncoderDecoderResult encode(const torch::Tensor& sourceIds, const EncoderDecoderOptions& options) const;
    void decode(const torch::Tensor& targetIds, const EncoderDecoderOptions& options, EncoderDecoderResult& result) const;

private:
    using Attend = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&)>;
    Attend attendAs(AttentionKind kind, int layer, const torch::Tensor& bias, torch::Tensor& kept,
                    const EncoderDecoderOptions& options) const;

    std::unique_ptr<EncoderDecoderArchitecture> arch_;
    torch::ScalarType productType_ = torch::kFloat;
};

} // namespace headlight
