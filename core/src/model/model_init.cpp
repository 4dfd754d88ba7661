// Random GPT-2-style initialisation, written as a model folder in our format.
#include "headlight/model_init.h"

#include "io/atomic_file.h"
#include "headlight/error.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "nn/torch_bridge.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <torch/torch.h>

namespace headlight {
namespace {

void makeDirs(const std::string& dir) {
    std::string partial;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir.find('/', pos + 1);
        partial = dir.substr(0, pos);
        if (partial.empty()) continue;
        struct stat st {};
        if (stat(partial.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode)) throw Error(dir, "cannot create the model folder: \"" + partial + "\" is a file");
            continue;
        }
        if (mkdir(partial.c_str(), 0755) != 0)
            throw Error(dir, std::string("cannot create the model folder (") + std::strerror(errno) + ")");
    }
}

// "\n" and printable ASCII first, then Latin-1 and onwards: readable labels for small test vocabularies.
std::vector<std::string> defaultAlphabet(int size) {
    // Most useful first, so that small vocabularies still spell lower-case text.
    const std::string ascii = " abcdefghijklmnopqrstuvwxyz.,;:!?'\"-=^()0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "#$%&*+/<>@[\\]_`{|}~";
    std::vector<std::string> chars = {"\n"};
    for (char c : ascii) chars.emplace_back(1, c);
    for (uint32_t cp = 0xA1; static_cast<int>(chars.size()) < size; ++cp) {
        if (cp == 0xAD) continue;   // soft hyphen renders as nothing
        std::string s;
        if (cp < 0x800) { s += static_cast<char>(0xC0 | (cp >> 6)); s += static_cast<char>(0x80 | (cp & 0x3F)); }
        else { s += static_cast<char>(0xE0 | (cp >> 12)); s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); s += static_cast<char>(0x80 | (cp & 0x3F)); }
        chars.push_back(s);
    }
    chars.resize(static_cast<size_t>(size));
    return chars;
}

} // namespace

void initRandomModel(const ModelConfig& c, uint64_t seed, const std::string& outDir, const std::string& alphabet) {
    // Validate everything before touching the disk.
    ModelConfig::fromJson(c.toJson(), "config");
    std::vector<std::string> vocab;
    if (!alphabet.empty()) {
        vocab = splitUtf8(alphabet, "--alphabet");
        if (static_cast<int>(vocab.size()) != c.vocabSize)
            throw Error("--alphabet", "has " + std::to_string(vocab.size()) + " characters but vocab_size = " + std::to_string(c.vocabSize));
        for (size_t i = 0; i < vocab.size(); ++i)
            for (size_t k = 0; k < i; ++k)
                if (vocab[i] == vocab[k]) throw Error("--alphabet", "character '" + vocab[i] + "' appears twice");
    } else if (c.vocabSize <= 4096) {
        vocab = defaultAlphabet(c.vocabSize);
    }
    makeDirs(outDir);

    torch::NoGradGuard noGrad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const int64_t V = c.vocabSize, D = c.nEmbd, P = c.nPositions, H = c.nHead, N = c.memorySlots(), d = c.headDim();
    const double residualStd = 0.02 / std::sqrt(2.0 * c.nLayer);
    auto normal = [&](std::vector<int64_t> shape, double std) { return at::normal(0.0, std, shape, gen); };
    auto zeros = [](std::vector<int64_t> shape) { return torch::zeros(shape); };
    auto ones = [](std::vector<int64_t> shape) { return torch::ones(shape); };

    std::vector<NamedArray> tensors;
    auto add = [&](const std::string& name, const torch::Tensor& t) { tensors.push_back({name, toArray(t)}); };
    add("wte.weight", normal({V, D}, 0.02));
    add("wpe.weight", normal({P, D}, 0.01));
    for (int l = 0; l < c.nLayer; ++l) {
        const std::string p = "h." + std::to_string(l) + ".";
        add(p + "ln_1.weight", ones({D}));
        add(p + "ln_1.bias", zeros({D}));
        add(p + "attn.c_attn.weight", normal({D, 3 * D}, 0.02));
        add(p + "attn.c_attn.bias", zeros({3 * D}));
        add(p + "attn.c_proj.weight", normal({D, D}, residualStd));
        add(p + "attn.c_proj.bias", zeros({D}));
        if (c.headGates) add(p + "attn.gate_log_alpha", torch::full({H}, 3.0));   // gate clamps to 1: all heads open
        if (c.adaptiveSpan) add(p + "attn.span_fraction", ones({H}));             // full span
        if (c.persistentMemory) {
            add(p + "attn.memory_key", normal({H, N, d}, 0.02));
            add(p + "attn.memory_value", normal({H, N, d}, 0.02));
        }
        if (c.hasMlp()) {
            add(p + "ln_2.weight", ones({D}));
            add(p + "ln_2.bias", zeros({D}));
            add(p + "mlp.c_fc.weight", normal({D, 4 * D}, 0.02));
            add(p + "mlp.c_fc.bias", zeros({4 * D}));
            add(p + "mlp.c_proj.weight", normal({4 * D, D}, residualStd));
            add(p + "mlp.c_proj.bias", zeros({D}));
        }
    }
    add("ln_f.weight", ones({D}));
    add("ln_f.bias", zeros({D}));

    writeSafetensors(outDir + "/model.safetensors", tensors, DType::F32,
                     {{"format", "pt"}, {"headlight_init_seed", std::to_string(seed)}});
    writeFileAtomically(outDir + "/config.json", c.toJson() + "\n");
    if (!vocab.empty()) {
        nlohmann::json v = nlohmann::json::object();
        for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
        writeFileAtomically(outDir + "/vocab.json", v.dump(1) + "\n");
    }
}

} // namespace headlight
