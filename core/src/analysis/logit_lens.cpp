// The logit lens: one run keeps the residual stream entering every layer (Trace::hiddenStates) and, for the
// rollout, hands every layer's heads over as they are computed; the final norm and output layer are then applied
// to each entry, a block of positions at a time, keeping only the top ids and the target's probability and rank.
#include "headlight/logit_lens.h"

#include "engine/loaded_model.h"
#include "headlight/error.h"
#include "headlight/result_file.h"
#include "nn/torch_bridge.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace headlight {
namespace {

// Positions per block: [block, V] float32 logits and their softmax at a time (a 50k vocabulary: 100 MB).
constexpr int64_t kLensBlock = 256;

} // namespace

LogitLens logitLens(const Engine& engine, const LensRequest& request) {
    const ModelConfig& c = engine.config();
    if (request.topK < 1 || request.topK > c.vocabSize)
        throw Error("--top", "must be 1.." + std::to_string(c.vocabSize) + " (the vocabulary), got " + std::to_string(request.topK));
    const int L = c.nLayer;
    const auto T = static_cast<int64_t>(request.tokenIds.size());
    RunRequest run;
    run.tokenIds = request.tokenIds;
    run.headMask = request.headMask;
    run.reuseActivations = false;
    run.progress = request.progress;
    run.capture.hiddenStates = true;
    run.capture.logits = true;
    run.capture.enabled = request.rollout;   // every layer and head, handed over one layer at a time
    AttentionRollout rollout(T);
    Trace trace = engine.run(run, [&](LayerTrace&& layer) { rollout.addLayer(layer.attention); });
    if (trace.logits.empty()) throw Error("lens", "the model has no output layer, so there is nothing to read the stream with");

    LogitLens lens;
    lens.rows = L + 1;
    lens.tokens = T;
    lens.topK = request.topK;
    lens.tokenIds = request.tokenIds;
    lens.tokenTexts = trace.tokens;
    const bool masked = trace.objective != "next token";
    lens.targets.assign(static_cast<size_t>(T), -1);
    for (int64_t i = 0; i < T; ++i)
        if (masked) lens.targets[static_cast<size_t>(i)] = request.tokenIds[static_cast<size_t>(i)];
        else if (i + 1 < T) lens.targets[static_cast<size_t>(i)] = request.tokenIds[static_cast<size_t>(i + 1)];

    const auto K = static_cast<int64_t>(request.topK);
    std::vector<int64_t> topIds(static_cast<size_t>((L + 1) * T * K));
    std::vector<float> topProbs(topIds.size()), targetProb(static_cast<size_t>((L + 1) * T), std::numeric_limits<float>::quiet_NaN());
    std::vector<int64_t> targetRank(targetProb.size(), 0);
    const Transformer& model = engine.loaded().singleStack("The logit lens");
    const torch::Device device = engine.loaded().device;
    const auto targets = torch::tensor(lens.targets, torch::kLong);
    torch::NoGradGuard noGrad;
    for (int row = 0; row <= L; ++row) {
        // Rows 0..L-1 read the stream entering layer `row`; row L is the model's own output.
        const torch::Tensor stream = row < L ? toTensor(trace.hiddenStates[static_cast<size_t>(row)], device) : torch::Tensor();
        // The run's own logits, read where they lie (a [T,V] copy would cost as much as a row's products).
        const torch::Tensor output =
            row == L ? torch::from_blob(const_cast<float*>(trace.logits.data()), {T, trace.logits.dim(1)}, torch::kFloat) : torch::Tensor();
        for (int64_t i0 = 0; i0 < T; i0 += kLensBlock) {
            const int64_t n = std::min(kLensBlock, T - i0);
            const auto logits = row < L ? model.head(stream.narrow(0, i0, n).unsqueeze(0)).select(0, 0).to(torch::kCPU, torch::kFloat)
                                        : output.narrow(0, i0, n);                          // [n,V]
            // Probabilities only where they are kept: exp(z - logsumexp z) of the top ids and of the target, no
            // [n,V] softmax (the largest logits are the largest probabilities).
            const auto lse = torch::logsumexp(logits, -1, true);                         // [n,1]
            const auto top = logits.topk(K, -1);
            const auto ids = std::get<1>(top).contiguous(), ps = (std::get<0>(top) - lse).exp_().contiguous();
            std::copy(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n * K, topIds.begin() + (row * T + i0) * K);
            std::copy(ps.data_ptr<float>(), ps.data_ptr<float>() + n * K, topProbs.begin() + (row * T + i0) * K);
            const auto safe = targets.narrow(0, i0, n).clamp_min(0).unsqueeze(1);      // [n,1]
            const auto target = logits.gather(1, safe);                                   // [n,1]
            const auto p = (target - lse).exp_().squeeze(1).contiguous();
            const auto rank = ((logits > target).sum(1) + 1).contiguous();                // ties rank with the target
            for (int64_t k = 0; k < n; ++k) {
                if (lens.targets[static_cast<size_t>(i0 + k)] < 0) continue;
                targetProb[static_cast<size_t>(row * T + i0 + k)] = p.data_ptr<float>()[k];
                targetRank[static_cast<size_t>(row * T + i0 + k)] = rank.data_ptr<int64_t>()[k];
            }
        }
    }
    lens.topIds = LongArray({L + 1, T, K}, std::move(topIds));
    lens.topProbs = FloatArray({L + 1, T, K}, std::move(topProbs));
    lens.targetProb = FloatArray({L + 1, T}, std::move(targetProb));
    lens.targetRank = LongArray({L + 1, T}, std::move(targetRank));
    if (request.rollout) lens.rollout = rollout.result();
    return lens;
}

void writeLensHdf5(const LogitLens& lens, const std::string& path) {
    ResultFile f;
    auto ints = [](const std::vector<int64_t>& shape, const int64_t* begin, size_t n) {
        std::vector<int32_t> v(n);
        for (size_t i = 0; i < n; ++i) v[i] = static_cast<int32_t>(begin[i]);
        return NdArray<int32_t>(shape, std::move(v));
    };
    f.ints["token_ids"] = ints({lens.tokens}, lens.tokenIds.data(), lens.tokenIds.size());
    f.ints["targets"] = ints({lens.tokens}, lens.targets.data(), lens.targets.size());
    f.ints["top_ids"] = ints(lens.topIds.shape(), lens.topIds.data(), static_cast<size_t>(lens.topIds.size()));
    f.ints["target_rank"] = ints(lens.targetRank.shape(), lens.targetRank.data(), static_cast<size_t>(lens.targetRank.size()));
    f.floats["top_probs"] = lens.topProbs;
    f.floats["target_prob"] = lens.targetProb;
    if (!lens.rollout.empty()) f.floats["rollout"] = lens.rollout;
    f.attributes["kind"] = "logit lens";
    f.attributes["tokens"] = nlohmann::json(lens.tokenTexts).dump();
    f.attributes["rows"] = "row 0: after the embeddings; row l: after layer l-1; row " + std::to_string(lens.rows - 1) + ": the model's output";
    writeResultHdf5(path, f);
}

} // namespace headlight
