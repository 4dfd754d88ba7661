// Selective attention (Leviathan et al. 2024): config, the logit hook (S and F), context budgets, the memory
// regulariser and the S, F and eviction fields traces show. It adds no tensors.
#include "mechanisms/selective_attention.h"

#include "headlight/trace.h"
#include "headlight/training.h"
#include "io/json_util.h"
#include "model/config_reader.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"

#include <limits>
#include <nlohmann/json.hpp>

namespace headlight {

std::pair<torch::Tensor, torch::Tensor> evictionSchedule(const torch::Tensor& f, int64_t budget) {
    const int64_t T = f.size(0);
    auto fc = f.to(torch::kCPU, torch::kFloat).contiguous();
    auto F = fc.accessor<float, 2>();
    auto keep = torch::zeros({T, T}, torch::kBool);
    auto evicted = torch::full({T}, -1, torch::kLong);
    auto K = keep.accessor<bool, 2>();
    auto E = evicted.accessor<int64_t, 1>();
    std::vector<int64_t> buffer;
    for (int64_t i = 0; i < T; ++i) {
        buffer.push_back(i);
        while (static_cast<int64_t>(buffer.size()) > budget) {
            size_t worst = 0;
            for (size_t n = 1; n < buffer.size(); ++n)
                if (F[i][buffer[n]] > F[i][buffer[worst]]) worst = n;
            E[buffer[worst]] = i;
            buffer.erase(buffer.begin() + static_cast<std::ptrdiff_t>(worst));
        }
        for (int64_t j : buffer) K[i][j] = true;
    }
    return {keep, evicted};
}

torch::Tensor selectiveMemoryLoss(const std::vector<torch::Tensor>& masks, int64_t nLayer) {
    constexpr double tau = 1.0;
    torch::Tensor total;
    int64_t T = 0;
    for (const auto& f : masks) {                                        // f: [B,T,T]
        T = f.size(1);
        auto visible = torch::ones({T, T}, f.options().dtype(torch::kBool)).tril();   // keys j <= i
        auto kept = (1.0 - torch::clamp_max(f, tau) / tau).masked_fill(visible.logical_not(), 0.0);
        auto perLayer = std::get<0>(kept.sum(-1).max(-1)).mean();        // max_i M_i, mean over the batch
        total = total.defined() ? total + perLayer : perLayer;
    }
    return total / static_cast<double>(nLayer * T);
}

namespace {

class SelectiveAttention final : public Mechanism {
public:
    const char* key() const override { return "selective_attention"; }
    bool enabledIn(const ModelConfig& c) const override { return c.selectiveAttention.has_value(); }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"selector_head"});
        const std::string w = "headlight.selective_attention";
        SelectiveAttentionConfig sa;
        if (s.contains("selector_head")) sa.selectorHead = jsonutil::requireInt(s, "selector_head", r.source(), w);
        if (sa.selectorHead < 0 || sa.selectorHead >= c.nHead)
            r.fail("\"" + w + ".selector_head\" = " + std::to_string(sa.selectorHead) + " is not a head (n_head = " +
                   std::to_string(c.nHead) + ")");
        if (!c.causal) r.fail("\"" + w + "\" needs a causal model (selective attention masks earlier tokens)");
        c.selectiveAttention = sa;
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        return {{"selector_head", c.selectiveAttention->selectorHead}};
    }

    // S = relu(selector head's logits) over keys strictly before the query (never the first token), shifted
    // down a row; F = cumsum(S) over the queries; every head subtracts F.
    void shapeLogits(AttentionStep& s) const override {
        const int64_t T = s.logits.size(-1);
        auto boolOpts = torch::TensorOptions().dtype(torch::kBool).device(s.logits.device());
        auto maskable = torch::ones({T, T}, boolOpts).tril(-1);
        maskable.select(1, 0).fill_(false);
        auto sel = torch::relu(s.logits.select(1, s.config.selectiveAttention->selectorHead))
                       .masked_fill(maskable.logical_not(), 0.0);       // [B,T,T]
        sel = torch::cat({torch::zeros_like(sel.narrow(1, 0, 1)), sel.narrow(1, 0, T - 1)}, 1);   // shift down a row
        auto f = sel.cumsum(1);                                          // [B,T,T] F over the query axis
        s.logits = s.logits - f.unsqueeze(1);
        s.selection = sel;
        s.selectionCumulative = f;
    }

    // Each layer prunes its own context; row i depends only on rows <= i, so one pass equals decoding.
    void restrictContext(AttentionStep& s) const override {
        if (s.contextBudget <= 0) return;
        const int64_t B = s.logits.size(0);
        std::vector<torch::Tensor> keeps, evictions;
        for (int64_t b = 0; b < B; ++b) {
            auto [keep, evicted] = evictionSchedule(s.selectionCumulative.select(0, b).detach(), s.contextBudget);
            keeps.push_back(keep);
            evictions.push_back(evicted);
        }
        auto keep = torch::stack(keeps).to(s.logits.device()).unsqueeze(1);   // [B,1,T,T]
        s.logits.masked_fill_(keep.logical_not(), -std::numeric_limits<float>::infinity());
        s.evictedAt = torch::stack(evictions).to(s.logits.device());
    }

    bool regulariserNeedsCapture(const TrainConfig& tc) const override { return tc.selectiveEpsilon > 0; }
    torch::Tensor regulariser(const Transformer& m, const ForwardResult& out, const TrainConfig& tc) const override {
        if (!(tc.selectiveEpsilon > 0)) return {};
        std::vector<torch::Tensor> masks;
        for (const auto& layer : out.layers) masks.push_back(layer.selectionCumulative);
        return tc.selectiveEpsilon * selectiveMemoryLoss(masks, m.config().nLayer);
    }

    void exportLayer(const Transformer&, int, const LayerCapture& cap, LayerTrace& lt) const override {
        if (cap.selection.defined()) {
            lt.selection = toArray(cap.selection.select(0, 0));
            lt.selectionCumulative = toArray(cap.selectionCumulative.select(0, 0));
        }
        if (cap.evictedAt.defined()) lt.evictedAt = toArray(cap.evictedAt.select(0, 0).to(torch::kFloat));
    }
};

} // namespace

const Mechanism& selectiveAttention() {
    static const SelectiveAttention m;
    return m;
}

} // namespace headlight
