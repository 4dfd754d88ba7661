#include "headlight/translation.h"

#include "engine/encoder_decoder_run.h"
#include "engine/loaded_model.h"
#include "headlight/error.h"

namespace headlight {

Translation greedyTranslate(const Engine& engine, const std::vector<int64_t>& sourceIds, int maxNewTokens,
                            const std::function<bool(int)>& progress) {
    const ModelConfig& c = engine.config();
    if (!c.isEncoderDecoder()) throw Error(c.modelType, "translating needs an encoder-decoder model (this one has one stack)");
    if (maxNewTokens < 1) throw Error("--max-new-tokens", "must be at least 1");
    const EncoderDecoderModel& model = *engine.loaded().encoderDecoder;
    checkSourceIds(c, sourceIds);   // as a run checks it, before any work
    torch::NoGradGuard noGrad;
    const torch::Device device = engine.loaded().device;
    EncoderDecoderOptions options;   // no capture, every head
    EncoderDecoderResult result = model.encode(torch::tensor(sourceIds, torch::kLong).to(device).unsqueeze(0), options);
    Translation out;
    out.decoderIds = {c.encoderDecoder->decoderStartTokenId};
    const int limit = std::min<int>(maxNewTokens, c.nPositions - 1);
    for (int step = 0; step < limit; ++step) {
        // The whole prefix again (no key/value cache): the views show short translations, and this is the same
        // arithmetic a run of the finished input does.
        model.decode(torch::tensor(out.decoderIds, torch::kLong).to(device).unsqueeze(0), options, result);
        const int64_t next = result.logits.select(1, result.logits.size(1) - 1).argmax(-1).item<int64_t>();
        out.decoderIds.push_back(next);
        if (next == c.encoderDecoder->eosTokenId) {
            out.finished = true;
            break;
        }
        if (progress && !progress(step + 1)) break;
    }
    return out;
}

} // namespace headlight
