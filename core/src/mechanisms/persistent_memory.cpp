// Persistent memory: config, the memory key/value tensors, the extra-keys hook, the memory attention traces
// show, the overview's memory share and the report's share per layer. It has no regulariser.
#include "mechanisms/persistent_memory.h"

#include "io/json_util.h"
#include "mechanisms/metric_grid.h"
#include "checkpoint/config_reader.h"
#include "nn/torch_bridge.h"

#include <nlohmann/json.hpp>

namespace headlight {

using persistent_memory::kAttention;
using persistent_memory::kKeys;
using persistent_memory::kValues;

namespace {

// Per layer, the mean over heads and scored positions of the attention that goes to memory slots.
class MemoryReport final : public MechanismReportSection {
public:
    explicit MemoryReport(const ModelConfig& c) : sums_(static_cast<size_t>(c.nLayer), 0.0) {}
    void add(const std::vector<std::string>&, const Trace& t, const std::vector<int64_t>& scored) override {
        const int64_t T = static_cast<int64_t>(t.tokenIds.size());
        scored_ += static_cast<int64_t>(scored.size());
        for (const auto& layer : t.layers) {
            const FloatArray& m = layer[kAttention];
            if (m.empty()) continue;
            const int64_t h = m.dim(0), N = m.dim(2);
            for (int64_t head = 0; head < h; ++head)
                for (int64_t i : scored)
                    for (int64_t s = 0; s < N; ++s)
                        sums_[static_cast<size_t>(layer.layer)] += m.data()[(head * T + i) * N + s] / static_cast<double>(h);
        }
    }
    nlohmann::json result() const override {
        std::vector<double> perLayer;
        double mean = 0;
        for (double s : sums_) {
            perLayer.push_back(scored_ ? s / static_cast<double>(scored_) : 0.0);
            mean += perLayer.back() / static_cast<double>(sums_.size());
        }
        return {{"memory_share", mean}, {"memory_share_per_layer", perLayer}};
    }

private:
    std::vector<double> sums_;
    int64_t scored_ = 0;
};

class PersistentMemory final : public Mechanism {
public:
    const char* key() const override { return PersistentMemoryConfig::kKey; }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"slots", "replace_mlp"});
        const std::string w = "headlight.persistent_memory";
        PersistentMemoryConfig m;
        m.slotCount = jsonutil::requirePositiveInt(s, "slots", r.source(), w);
        if (s.contains("replace_mlp")) m.replaceMlp = jsonutil::requireBool(s, "replace_mlp", r.source(), w);
        if (m.replaceMlp && !c.isNative()) r.fail("\"" + w + ".replace_mlp\" is supported for the GPT-2 layout only");
        c.mechanisms.set(m);
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        const PersistentMemoryConfig& m = *c.mechanism<PersistentMemoryConfig>();
        return {{"slots", m.slotCount}, {"replace_mlp", m.replaceMlp}};
    }

    int extraKeys(const ModelConfig& c) const override { return c.mechanism<PersistentMemoryConfig>()->slotCount; }
    bool replacesMlp(const ModelConfig& c) const override { return c.mechanism<PersistentMemoryConfig>()->replaceMlp; }

    void declareTensors(const ModelConfig& c, MechanismTensors& t, const std::string& prefix,
                        const TensorVisitor& slot) const override {
        const std::vector<int64_t> shape = {c.nHead, c.mechanism<PersistentMemoryConfig>()->slotCount, c.headDim()};
        for (const char* name : {kKeys, kValues}) {
            TensorSlot s{&t.slot(name), prefix + name, shape, Init::normal()};
            s.mechanism = true;
            slot(s);
        }
    }

    // N extra keys per head: logits q . k_mem * scale, values v_mem; their probabilities are its capture.
    bool worksInRowBlocks() const override { return true; }   // each query row meets the same N slots
    void addKeys(AttentionStep& s) const override {
        s.extraLogits = torch::matmul(s.scaledQ, s.tensors[kKeys].transpose(-2, -1).unsqueeze(0));   // [B,H,T,N]
        s.extraValues = s.tensors[kValues].unsqueeze(0);                                             // [1,H,N,d]
        s.extraKeysName = kAttention;
    }

    double capturedBytesPerLayer(const ModelConfig& c, int64_t tokens) const override {
        return static_cast<double>(c.nHead) * static_cast<double>(tokens) * extraKeys(c) * sizeof(float);
    }
    void exportLayer(const ModelConfig& c, const MechanismTensors&, const LayerCapture& cap, LayerTrace& lt) const override {
        const auto it = cap.named.find(kAttention);
        if (it == cap.named.end()) return;
        auto t = it->second.select(0, 0);                                                            // [H,T,N]
        if (static_cast<int>(lt.heads.size()) != c.nHead) {
            std::vector<int64_t> heads(lt.heads.begin(), lt.heads.end());
            t = t.index_select(0, torch::tensor(heads, torch::kLong).to(t.device()));
        }
        lt[kAttention] = toArray(t);
    }

    // Mean over queries i of the probability on every slot (the share of attention that reads memory).
    std::vector<MechanismMetric> metrics() const override {
        return {{"memory_share", "Attention on memory", "", [](const Trace& trace, const ModelConfig& config) {
                     const int64_t slots = config.mechanism<PersistentMemoryConfig>()->slotCount;
                     return meanOverQueries(
                         trace, config, [](const LayerTrace& lt) -> const FloatArray& { return lt[kAttention]; },
                         [slots](int64_t) { return slots; },
                         [](const float* row, int64_t, int64_t N) {
                             double s = 0;
                             for (int64_t n = 0; n < N; ++n) s += row[n];
                             return s;
                         });
                 }}};
    }
    std::unique_ptr<MechanismReportSection> report(const ModelConfig& c, const ReportTask&) const override {
        return std::make_unique<MemoryReport>(c);
    }
};

} // namespace

const Mechanism& persistentMemory() {
    static const PersistentMemory m;
    return m;
}

} // namespace headlight
