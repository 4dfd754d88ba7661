#pragma once
// Internal: the model an Engine loaded, as the analyses that run it directly see it (the pruning what-ifs run
// batched and differentiable head masks through it, with no second copy of the weights). Engine::loaded()
// hands it out; outside core/src it stays an incomplete type.
#include "headlight/error.h"
#include "model/encoder_decoder_model.h"
#include "model/transformer.h"

#include <memory>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

struct LoadedModel {
    // Immutable once loaded, so several threads may run it at once (its forward pass only reads). Exactly one
    // of the two is set: a single stack, or an encoder and a decoder.
    std::unique_ptr<Transformer> model;
    std::unique_ptr<EncoderDecoderModel> encoderDecoder;
    torch::Device device = torch::kCPU;   // where its weights live

    const ModelConfig& config() const { return model ? model->config() : encoderDecoder->config(); }
    // The single stack an analysis runs; for an encoder-decoder model, an Error saying that `what` (an analysis
    // named as a user would, "the logit lens") is not available for it.
    const Transformer& singleStack(const std::string& what) const {
        if (!model)
            throw Error(config().modelType, what + " is not available for encoder-decoder models yet (headlight-cli run "
                                                   "and its trace file are)");
        return *model;
    }
};

} // namespace headlight
