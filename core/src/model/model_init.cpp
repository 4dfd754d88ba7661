// Random initialisation of any family, written as a model folder in that family's layout.
#include "headlight/model_init.h"
#include "model/initial_model.h"

#include "io/atomic_file.h"
#include "headlight/error.h"
#include "headlight/output_folder.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {
namespace {

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

std::string gigabytes(double bytes) {
    char buf[48];
    std::snprintf(buf, sizeof buf, bytes >= 1e9 ? "%.0f GB" : "%.1f GB", bytes / 1e9);
    return buf;
}

} // namespace

// The float32 bytes of the largest tensors a config asks for, each named by the key that sets its size, so
// that an absurd size is refused with a message naming it before any allocation (a 24 GB init used to be
// killed by the kernel instead). Estimates from above: families without learned positions count them too.
void checkInitSize(const ModelConfig& c) {
    struct Term {
        std::string key;
        double bytes;
        const char* tensor;
    };
    const double E = c.nEmbd, L = c.nLayer, F = c.mlpWidth(), D = c.headDim();
    const double qkv = (c.nHead + 2.0 * c.kvHeads()) * D * E + c.nHead * D * E;
    const std::vector<Term> terms = {
        {"vocab_size " + std::to_string(c.vocabSize), 4.0 * c.vocabSize * E * (c.tieWordEmbeddings ? 1 : 2), "the token embeddings"},
        {"n_positions " + std::to_string(c.nPositions), 4.0 * c.nPositions * E, "the position embeddings"},
        {"n_layer " + std::to_string(c.nLayer) + " x n_embd " + std::to_string(c.nEmbd), 4.0 * L * (qkv + 3 * E * F), "the layers"},
        {"slots " + std::to_string(c.extraKeysPerHead()), 4.0 * L * 2 * c.extraKeysPerHead() * E, "the persistent memory"}};
    double total = 0;
    const Term* largest = &terms.front();
    for (const Term& t : terms) {
        total += t.bytes;
        if (t.bytes > largest->bytes) largest = &t;
    }
    const double available = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    // Twice the weights: they are built, then converted for writing.
    if (available > 0 && 2 * total > available)
        throw Error("config", largest->key + " needs " + gigabytes(largest->bytes) + " for " + largest->tensor + " (" +
                                  gigabytes(total) + " in all, twice that while writing; this machine has " + gigabytes(available) + ")",
                ErrorInput::ModelSizes);
}

std::vector<std::string> initialVocabulary(const ModelConfig& c, const std::string& alphabet) {
    if (alphabet.empty()) return c.vocabSize <= 4096 ? defaultAlphabet(c.vocabSize) : std::vector<std::string>{};
    std::vector<std::string> vocab = splitUtf8(alphabet, "--alphabet");
    if (static_cast<int>(vocab.size()) != c.vocabSize)
        throw Error("--alphabet", "has " + std::to_string(vocab.size()) + " characters but vocab_size = " + std::to_string(c.vocabSize));
    std::set<std::string> seen;
    for (const auto& ch : vocab)
        if (!seen.insert(ch).second) throw Error("--alphabet", "character '" + ch + "' appears twice");
    return vocab;
}

void writeCharacterVocabulary(const std::string& path, const std::vector<std::string>& vocab) {
    nlohmann::json v = nlohmann::json::object();
    for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
    writeFileAtomically(path, v.dump(1) + "\n");
}

Transformer initialModel(const ModelConfig& c, uint64_t seed) {
    checkInitSize(c);
    try {
        return Transformer(c, seed);
    } catch (const std::bad_alloc&) {
        throw Error("config", "out of memory while creating the weights; choose smaller sizes", ErrorInput::ModelSizes);
    } catch (const c10::Error& e) {
        if (std::string(e.what()).find("allocate") == std::string::npos) throw;
        throw Error("config", "out of memory while creating the weights; choose smaller sizes", ErrorInput::ModelSizes);
    }
}

void initRandomModel(const ModelConfig& c, uint64_t seed, const std::string& outDir, const std::string& alphabet) {
    // Validate everything before touching the disk.
    ModelConfig::fromJson(c.toJson(), "config");
    const std::vector<std::string> vocab = initialVocabulary(c, alphabet);
    checkModelOutputFolder(outDir, {});

    torch::NoGradGuard noGrad;
    std::vector<NamedArray> tensors;
    for (const auto& [name, t] : initialModel(c, seed).named()) tensors.push_back({name, toArray(t)});

    ModelOutputFolder folder(outDir);   // taken away again if a write fails (a full disk)
    folder.create();
    writeSafetensors(outDir + "/model.safetensors", tensors, DType::F32,
                     {{"format", "pt"}, {"headlight_init_seed", std::to_string(seed)}});
    writeFileAtomically(outDir + "/config.json", c.toJson() + "\n");
    if (!vocab.empty()) writeCharacterVocabulary(outDir + "/vocab.json", vocab);
    folder.keep();
}

} // namespace headlight
