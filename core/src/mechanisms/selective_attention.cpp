// Selective attention (Leviathan et al. 2024): config, the logit hook (S and F), context budgets, the memory
// regulariser, the S, F and eviction tensors traces show, the overview's masking metric and the report's
// masked share. It adds no tensors.
#include "mechanisms/selective_attention.h"

#include "io/json_util.h"
#include "mechanisms/metric_grid.h"
#include "checkpoint/config_reader.h"
#include "nn/torch_bridge.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace headlight {

using selective_attention::kEvictedAt;
using selective_attention::kSelection;
using selective_attention::kSelectionCumulative;

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

// Assign task: the token positions of the queried variable's superseded values, and the query position
// (the '=' that predicts the answer). Layout: '^' then "v=d;" n times, then "?v=" and the answer.
struct AssignQuery {
    int64_t query = -1;
    std::vector<int64_t> superseded;
};

AssignQuery parseAssign(const std::vector<std::string>& c) {
    AssignQuery a;
    const auto n = static_cast<int64_t>(c.size());
    if (n < 5 || c[static_cast<size_t>(n - 4)] != "?") return a;
    const std::string var = c[static_cast<size_t>(n - 3)];
    a.query = n - 2;
    std::vector<int64_t> values;
    for (int64_t v = 1; v + 2 < n - 4; v += 4)
        if (c[static_cast<size_t>(v)] == var) values.push_back(v + 2);
    if (!values.empty()) values.pop_back();   // the last assignment is the answer, not superseded
    a.superseded = values;
    return a;
}

// At the scored positions, the share of earlier tokens that some layer masks (F >= 1), averaged over layers;
// on the assign task, the superseded values of the queried variable that some layer masks at the query.
class SelectiveReport final : public MechanismReportSection {
public:
    explicit SelectiveReport(const ReportTask& task) : assign_(task.name == "assign") {}
    void add(const std::vector<std::string>& chars, const Trace& t, const std::vector<int64_t>& scored) override {
        const int64_t T = static_cast<int64_t>(t.tokenIds.size());
        for (const auto& layer : t.layers) {
            const FloatArray& F = layer[kSelectionCumulative];
            if (F.empty()) continue;
            for (int64_t i : scored) {
                if (i == 0) continue;
                int64_t masked = 0;
                for (int64_t j = 0; j < i; ++j) masked += F.data()[i * T + j] >= 1.0f;
                maskedSum_ += static_cast<double>(masked) / static_cast<double>(i);
                ++maskedCount_;
            }
        }
        const AssignQuery query = assign_ ? parseAssign(chars) : AssignQuery{};
        if (query.query < 0) return;
        for (int64_t j : query.superseded) {
            ++superseded_;
            bool masked = false;
            for (const auto& layer : t.layers) masked = masked || layer[kSelectionCumulative].data()[query.query * T + j] >= 1.0f;
            supersededMasked_ += masked;
        }
    }
    nlohmann::json result() const override {
        nlohmann::json s = {{"masked_share", maskedCount_ ? maskedSum_ / static_cast<double>(maskedCount_) : 0.0}};
        if (superseded_ > 0)
            s.update({{"superseded", superseded_}, {"superseded_masked", supersededMasked_},
                      {"superseded_masked_share", static_cast<double>(supersededMasked_) / static_cast<double>(superseded_)}});
        return s;
    }

private:
    bool assign_;
    double maskedSum_ = 0;
    int64_t maskedCount_ = 0, superseded_ = 0, supersededMasked_ = 0;
};

class SelectiveAttention final : public Mechanism {
public:
    const char* key() const override { return SelectiveAttentionConfig::kKey; }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"selector_head"});
        const std::string w = "headlight.selective_attention";
        SelectiveAttentionConfig sa;
        if (s.contains("selector_head")) sa.selectorHead = jsonutil::requireInt(s, "selector_head", r.source(), w);
        if (sa.selectorHead < 0 || sa.selectorHead >= c.nHead)
            r.fail("\"" + w + ".selector_head\" = " + std::to_string(sa.selectorHead) + " is not a head (n_head = " +
                   std::to_string(c.nHead) + ")");
        if (!c.causal) r.fail("\"" + w + "\" needs a causal model (selective attention masks earlier tokens)");
        c.mechanisms.set(sa);
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        return {{"selector_head", c.mechanism<SelectiveAttentionConfig>()->selectorHead}};
    }

    // S = relu(selector head's logits) over keys strictly before the query (never the first token), shifted
    // down a row; F = cumsum(S) over the queries; every head subtracts F.
    void shapeLogits(AttentionStep& s) const override {
        const int64_t T = s.logits.size(-1);
        auto boolOpts = torch::TensorOptions().dtype(torch::kBool).device(s.logits.device());
        auto maskable = torch::ones({T, T}, boolOpts).tril(-1);
        maskable.select(1, 0).fill_(false);
        auto sel = torch::relu(s.logits.select(1, s.config.mechanism<SelectiveAttentionConfig>()->selectorHead))
                       .masked_fill(maskable.logical_not(), 0.0);       // [B,T,T]
        sel = torch::cat({torch::zeros_like(sel.narrow(1, 0, 1)), sel.narrow(1, 0, T - 1)}, 1);   // shift down a row
        auto f = sel.cumsum(1);                                          // [B,T,T] F over the query axis
        s.logits = s.logits - f.unsqueeze(1);
        s.captures[kSelection] = sel;
        s.captures[kSelectionCumulative] = f;
    }

    // Each layer prunes its own context; row i depends only on rows <= i, so one pass equals decoding.
    bool prunesContext() const override { return true; }
    void restrictContext(AttentionStep& s) const override {
        if (s.contextBudget <= 0) return;
        const int64_t B = s.logits.size(0);
        const torch::Tensor& F = s.captures.at(kSelectionCumulative);
        std::vector<torch::Tensor> keeps, evictions;
        for (int64_t b = 0; b < B; ++b) {
            auto [keep, evicted] = evictionSchedule(F.select(0, b).detach(), s.contextBudget);
            keeps.push_back(keep);
            evictions.push_back(evicted);
        }
        auto keep = torch::stack(keeps).to(s.logits.device()).unsqueeze(1);   // [B,1,T,T]
        s.logits.masked_fill_(keep.logical_not(), -std::numeric_limits<float>::infinity());
        s.captures[kEvictedAt] = torch::stack(evictions).to(s.logits.device());
    }

    const char* regulariserKey() const override { return "selective_epsilon"; }
    double regulariserDefault() const override { return 0.1; }
    bool regulariserNeedsCapture() const override { return true; }
    torch::Tensor regulariser(const MechanismHost& m, const std::vector<LayerCapture>& layers, double weight) const override {
        std::vector<torch::Tensor> masks;
        for (const auto& layer : layers) masks.push_back(layer.named.at(kSelectionCumulative));
        return weight * selectiveMemoryLoss(masks, m.config().nLayer);
    }

    // S and F [T,T], and with a budget the eviction steps [T].
    double capturedBytesPerLayer(const ModelConfig&, int64_t tokens) const override {
        const double T = static_cast<double>(tokens);
        return (2 * T * T + T) * sizeof(float);
    }
    void exportLayer(const ModelConfig&, const MechanismTensors&, const LayerCapture& cap, LayerTrace& lt) const override {
        if (const auto it = cap.named.find(kSelection); it != cap.named.end()) lt[kSelection] = toArray(it->second.select(0, 0));
        if (const auto it = cap.named.find(kSelectionCumulative); it != cap.named.end())
            lt[kSelectionCumulative] = toArray(it->second.select(0, 0));
        if (const auto it = cap.named.find(kEvictedAt); it != cap.named.end())
            lt[kEvictedAt] = toArray(it->second.select(0, 0).to(torch::kFloat));
    }

    // Mean over pairs j < i, j > 0 of min(F_ij, 1): one value per layer, shared by its heads; 0 for a layer whose
    // run is too short to have any such pair (nothing could be masked).
    std::vector<MechanismMetric> metrics() const override {
        return {{"masking", "Selective masking received", "", [](const Trace& trace, const ModelConfig& config) {
                     MetricGrid grid(config);
                     for (const LayerTrace& lt : trace.layers) {
                         const FloatArray& F = lt[kSelectionCumulative];   // [T,T]
                         if (F.rank() != 2 || F.dim(0) != F.dim(1)) continue;
                         const int64_t T = F.dim(0);
                         double sum = 0;
                         int64_t pairs = 0;
                         for (int64_t i = 2; i < T; ++i)
                             for (int64_t j = 1; j < i; ++j, ++pairs) sum += std::min(static_cast<double>(F.data()[i * T + j]), 1.0);
                         const double mean = pairs ? sum / static_cast<double>(pairs) : 0.0;
                         for (int h = 0; h < grid.heads; ++h) grid.set(lt.layer, h, mean);
                     }
                     return std::move(grid).array();
                 }}};
    }
    std::unique_ptr<MechanismReportSection> report(const ModelConfig&, const ReportTask& task) const override {
        return std::make_unique<SelectiveReport>(task);
    }
};

} // namespace

const Mechanism& selectiveAttention() {
    static const SelectiveAttention m;
    return m;
}

} // namespace headlight
