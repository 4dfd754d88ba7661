// Random initialisation of any family, written as a model folder in that family's layout.
#include "headlight/model_init.h"

#include "io/atomic_file.h"
#include "headlight/error.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"

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
    std::vector<NamedArray> tensors;
    for (const auto& [name, t] : Transformer(c, seed).named()) tensors.push_back({name, toArray(t)});

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
