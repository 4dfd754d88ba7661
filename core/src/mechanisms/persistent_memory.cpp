// Persistent memory: config, the memory key/value tensors, the extra-keys hook and the memory attention traces
// show. It has no regulariser.
#include "mechanisms/persistent_memory.h"

#include "headlight/trace.h"
#include "io/json_util.h"
#include "model/config_reader.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"

#include <nlohmann/json.hpp>

namespace headlight {
namespace {

class PersistentMemory final : public Mechanism {
public:
    const char* key() const override { return "persistent_memory"; }
    bool enabledIn(const ModelConfig& c) const override { return c.persistentMemory.has_value(); }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"slots", "replace_mlp"});
        const std::string w = "headlight.persistent_memory";
        PersistentMemoryConfig m;
        m.slotCount = jsonutil::requirePositiveInt(s, "slots", r.source(), w);
        if (s.contains("replace_mlp")) m.replaceMlp = jsonutil::requireBool(s, "replace_mlp", r.source(), w);
        if (m.replaceMlp && !c.isNative()) r.fail("\"" + w + ".replace_mlp\" is supported for the GPT-2 layout only");
        c.persistentMemory = m;
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        return {{"slots", c.persistentMemory->slotCount}, {"replace_mlp", c.persistentMemory->replaceMlp}};
    }

    void declareTensors(const ModelConfig& c, MechanismTensors& t, const std::string& prefix,
                        const TensorVisitor& slot) const override {
        const std::vector<int64_t> shape = {c.nHead, c.persistentMemory->slotCount, c.headDim()};
        for (auto [tensor, name] : {std::pair{&t.memoryKey, "memory_key"}, std::pair{&t.memoryValue, "memory_value"}}) {
            TensorSlot s{tensor, prefix + name, shape, Init::normal()};
            s.mechanism = true;
            slot(s);
        }
    }

    // N extra keys per head: logits q . k_mem * scale, values v_mem.
    bool worksInRowBlocks() const override { return true; }   // each query row meets the same N slots
    void addKeys(AttentionStep& s) const override {
        s.extraLogits = torch::matmul(s.scaledQ, s.tensors.memoryKey.transpose(-2, -1).unsqueeze(0));   // [B,H,T,N]
        s.extraValues = s.tensors.memoryValue.unsqueeze(0);                                             // [1,H,N,d]
    }

    void exportLayer(const Transformer& m, int, const LayerCapture& cap, LayerTrace& lt) const override {
        if (!cap.memoryAttention.defined()) return;
        auto t = cap.memoryAttention.select(0, 0);                                                      // [H,T,N]
        if (static_cast<int>(lt.heads.size()) != m.config().nHead) {
            std::vector<int64_t> heads(lt.heads.begin(), lt.heads.end());
            t = t.index_select(0, torch::tensor(heads, torch::kLong).to(t.device()));
        }
        lt.memoryAttention = toArray(t);
    }
};

} // namespace

const Mechanism& persistentMemory() {
    static const PersistentMemory m;
    return m;
}

} // namespace headlight
