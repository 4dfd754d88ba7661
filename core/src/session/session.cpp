// A model opened for runs (headlight/session.h): encoding and the cut to n_positions, the capture plan, the
// unpruned run a pruned one is compared with, and the recapture of one head of a long run.
#include "headlight/session.h"

#include "headlight/attention_stack.h"
#include "headlight/capture_size.h"
#include "headlight/error.h"
#include "headlight/translation.h"

#include <algorithm>
#include <cmath>

namespace headlight {

bool capturesEveryHead(const ModelConfig& config, int64_t tokens, int64_t budgetBytes) {
    return captureBytes(config, tokens, CaptureSpec{}).attention <= static_cast<double>(budgetBytes);   // every [T,T]
}

int pooledCells(const ModelConfig& config) {
    const double heads = std::max(1.0, static_cast<double>(config.nLayer) * config.nHead);
    const auto fits = static_cast<int>(std::sqrt(static_cast<double>(kDigestBytes) / (heads * 2 * sizeof(float))));
    return std::clamp(fits, kThumbnailCells, kPooledCells);
}

CaptureSpec planCapture(const ModelConfig& config, int64_t tokens, int focusLayer, int focusHead, int64_t budgetBytes) {
    CaptureSpec capture;   // every layer and head, logits included, and every head's role scores
    capture.roles = true;
    if (capturesEveryHead(config, tokens, budgetBytes)) return capture;
    capture.layers = {std::clamp(focusLayer, 0, config.nLayer - 1)};
    capture.heads = {std::clamp(focusHead, 0, config.nHead - 1)};
    capture.headStats = true;
    capture.pooledSize = pooledCells(config);
    return capture;
}

Session::Session(const std::string& modelDir, const std::string& device, const std::string& dtype)
    : stamp_(FolderStamp::of(modelDir)), engine_(Engine::load(modelDir, device, dtype)) {}

Session::Session(const std::string& modelDir, const LoadOptions& options)
    : stamp_(FolderStamp::of(modelDir)), engine_(Engine::load(modelDir, options)) {}

namespace {

// The beginning of `ids`, at most `limit` of them; the count cut off.
int cutTo(std::vector<int64_t>& ids, int64_t limit) {
    if (static_cast<int64_t>(ids.size()) <= limit) return 0;
    const int dropped = static_cast<int>(static_cast<int64_t>(ids.size()) - limit);
    ids.resize(static_cast<size_t>(limit));
    return dropped;
}

} // namespace

SessionRun Session::run(const RunInput& input, const Engine::LayerSink& sink) {
    const ModelConfig& c = engine_.config();
    if (c.isEncoderDecoder()) return runEncoderDecoder(input);
    SessionRun out;
    std::vector<int64_t> ids = input.tokenIds.empty() ? engine_.encode(input.text) : input.tokenIds;
    if (input.tokenIds.empty()) out.text = input.text;
    // Keep the beginning: what the user reads first is what the views show.
    out.droppedTokens = cutTo(ids, c.nPositions);
    if (out.droppedTokens > 0 && input.tokenIds.empty()) out.text = engine_.tokenizer()->decode(ids);
    RunRequest request;
    request.tokenIds = std::move(ids);
    request.contextBudget = input.contextBudget;
    request.capture = input.capture ? *input.capture
                                    : planCapture(c, static_cast<int64_t>(request.tokenIds.size()), input.focusLayer, input.focusHead);
    request.progress = input.progress;
    out.capture = request.capture;

    const bool pruned = prunedHeadCount(input.headMask) > 0;
    if (pruned && input.compareWithUnpruned) {
        // The unpruned run first: it is compared against, and the pruned run then starts from the first layer
        // with a pruned head instead of layer 0. The engine keeps it while only the mask changes.
        out.baseline = engine_.unprunedRun(request);
        if (!out.baseline) out.baseline = std::make_shared<const Trace>(engine_.run(request));
    }
    if (!pruned) {
        // Nothing pruned: the unpruned run the engine keeps for this input is this run (a what-if undone).
        if (!sink) out.trace = engine_.unprunedRun(request);
        if (!out.trace) out.trace = std::make_shared<const Trace>(engine_.run(request, sink));
        return out;
    }
    request.headMask = input.headMask;
    out.trace = std::make_shared<const Trace>(engine_.run(request, sink));
    if (out.baseline) out.comparison = std::make_shared<const RunComparison>(compareRuns(*out.baseline, *out.trace));
    return out;
}


SessionRun Session::runEncoderDecoder(const RunInput& input) {
    const ModelConfig& c = engine_.config();
    SessionRun out;
    std::vector<int64_t> source = input.tokenIds.empty() ? engine_.encode(input.text) : input.tokenIds;
    out.droppedTokens = cutTo(source, c.nPositions);
    if (input.tokenIds.empty()) out.text = out.droppedTokens > 0 ? engine_.tokenizer()->decode(source) : input.text;
    std::vector<int64_t> decoder = input.decoderIds;
    if (decoder.empty()) {
        decoder = {c.encoderDecoder->decoderStartTokenId};
        if (!input.target.empty()) {
            const std::vector<int64_t> target = engine_.encodeTarget(input.target);
            decoder.insert(decoder.end(), target.begin(), target.end());
        }
    }
    out.droppedTargetTokens = cutTo(decoder, c.nPositions);
    out.target = input.target;
    if (out.droppedTargetTokens > 0 && input.decoderIds.empty() && engine_.tokenizer())
        out.target = engine_.tokenizer()->decodeTarget({decoder.begin() + 1, decoder.end()});
    RunRequest request;
    request.sourceIds = std::move(source);
    request.tokenIds = std::move(decoder);
    request.capture = input.capture ? *input.capture : CaptureSpec{};   // every head of the three kinds, and the logits
    request.progress = input.progress;
    out.capture = request.capture;
    const bool pruned = prunedHeadCount(input.headMask) > 0;
    if (pruned && input.compareWithUnpruned)
        out.baseline = std::make_shared<const Trace>(stackedTrace(engine_.run(request), c));
    setStackedHeadMask(request, c, input.headMask);
    out.trace = std::make_shared<const Trace>(stackedTrace(engine_.run(request), c));
    if (out.baseline) out.comparison = std::make_shared<const RunComparison>(compareRuns(*out.baseline, *out.trace));
    return out;
}

std::string Session::translate(const std::string& source, int maxNewTokens, const std::function<bool(int)>& progress) const {
    const ModelConfig& c = engine_.config();
    if (!c.isEncoderDecoder()) throw Error(engine_.modelDir(), "translates nothing: it is not an encoder-decoder model");
    if (!engine_.tokenizer()) throw Error(engine_.modelDir(), "has no tokenizer, so its translation cannot be written as text");
    std::vector<int64_t> ids = engine_.encode(source);
    cutTo(ids, c.nPositions);
    const Translation t = greedyTranslate(engine_, ids, maxNewTokens, progress);
    return engine_.tokenizer()->decodeTarget({t.decoderIds.begin() + 1, t.decoderIds.end()});
}

std::optional<Trace> Session::recapture(const Trace& shown, int layer, int head) const {
    RunRequest request;
    request.tokenIds = shown.tokenIds;
    request.headMask.assign(shown.headMask.begin(), shown.headMask.end());
    request.contextBudget = shown.contextBudget;
    Trace trace = shown;   // shares every array; only the layers change
    try {
        trace.layers = {engine_.recaptureLayer(request, layer, {head})};
    } catch (const Error&) {
        return std::nullopt;
    }
    return trace;
}

} // namespace headlight
