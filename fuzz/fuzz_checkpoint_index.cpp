// libFuzzer: model.safetensors.index.json, the index of a sharded checkpoint. A small GPT-2 model is written
// once, its tensors split over two shards (a.safetensors, b.safetensors) beside the fuzzed index; a third file,
// c.safetensors, holds a causal-mask buffer, which GPT-2 checkpoints carry and loading skips unread. An index
// either loads or throws headlight::Error; one that loads must give the model the shards hold: its logits have
// the bits of the unsharded model's.
#include "fuzz_support.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/model_config.h"
#include "headlight/model_init.h"
#include "headlight/safetensors.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace headlight;

std::vector<float> logitsOf(const Engine& engine) {
    RunRequest r;
    r.tokenIds = {1, 2, 3};
    r.capture = CaptureSpec::none();
    r.capture.logits = true;
    return engine.run(r).logits.toVector();
}

struct Setup {
    std::string folder;              // the sharded model: config.json, a/b/c.safetensors; the index is fuzzed
    std::vector<float> logits;       // the unsharded model's

    Setup() {
        const std::string whole = fuzz::scratchFolder() + "/whole";
        folder = fuzz::scratchFolder() + "/sharded";
        const ModelConfig config = ModelConfig::fromJson(
            R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 8, "vocab_size": 16, "n_positions": 16})",
            "config.json");
        initRandomModel(config, 7, whole);
        logits = logitsOf(Engine::load(whole));
        const SafetensorsFile file = SafetensorsFile::open(whole + "/model.safetensors");
        std::vector<NamedArray> a, b;
        for (const auto& e : file.entries()) (a.size() <= b.size() ? a : b).push_back({e.name, file.readFloat(e.name)});
        if (std::system(("mkdir -p '" + folder + "'").c_str()) != 0) std::abort();
        writeSafetensors(folder + "/a.safetensors", a);
        writeSafetensors(folder + "/b.safetensors", b);
        writeSafetensors(folder + "/c.safetensors", {{"h.0.attn.bias", FloatArray({1, 1, 16, 16}, std::vector<float>(256, 1.0f))}});
        std::ofstream(folder + "/config.json") << config.toJson();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Setup setup;
    fuzz::writeScratch("sharded/model.safetensors.index.json", data, size);
    try {
        const Engine engine = Engine::load(setup.folder);
        if (logitsOf(engine) != setup.logits) std::abort();   // accepted, but not the model the shards hold
    } catch (const Error&) {
    }
    return 0;
}
