#include "training/run_folder.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/safetensors.h"
#include "io/atomic_file.h"
#include "io/json_util.h"
#include "model/initial_model.h"
#include "nn/torch_bridge.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <torch/serialize.h>

namespace headlight {
namespace {

namespace fs = std::filesystem;

void saveWeights(const Transformer& model, const NamedTensors* originals, const std::string& path) {
    std::vector<NamedArray> arrays;
    for (const auto& [name, t] : model.named()) {
        const auto original = originals ? originals->find(name) : NamedTensors::const_iterator{};
        arrays.push_back({name, toArray((originals && original != originals->end() ? original->second : t).detach())});
    }
    writeSafetensors(path, arrays);
}

// The tokenizer files a fine-tuned model keeps from the model it started from.
void copyTokenizerFiles(const std::string& from, const std::string& to) {
    bool any = false;
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                             "vocab.json", "merges.txt", "vocab.txt"}) {
        const std::string source = from + "/" + name;
        if (!pathExists(source)) continue;
        writeFileAtomically(to + "/" + name, jsonutil::readTextFile(source));
        any = true;
    }
    if (!any) throw Error(from, "has no tokenizer files to fine-tune with (vocab.json, tokenizer.json or vocab.txt)");
}

std::string generatorState(torch::Generator& gen) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    auto state = gen.get_state();
    return std::string(reinterpret_cast<const char*>(state.data_ptr<uint8_t>()), static_cast<size_t>(state.numel()));
}

void setGeneratorState(torch::Generator& gen, const std::string& bytes) {
    auto state = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
    std::memcpy(state.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

std::string toHex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) { out += digits[c >> 4]; out += digits[c & 15]; }
    return out;
}
// Error naming `source` on an odd length or a character that is not a hex digit.
std::string fromHex(const std::string& hex, const std::string& source) {
    auto digit = [&](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw Error(source, "\"gate_rng\" is not hexadecimal (checkpoint corrupted?)");
    };
    if (hex.size() % 2 != 0) throw Error(source, "\"gate_rng\" has an odd number of hex digits (checkpoint corrupted?)");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
    return out;
}

void removeAll(const std::string& path) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) throw Error(path, "cannot remove (" + ec.message() + ")");
}

void rename(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) throw Error(to, "cannot rename " + from + " to it (" + ec.message() + ")");
}

// checkpoint-new/: weights, optimizer state, state.json.
void writeCheckpointFiles(const std::string& dir, const CheckpointContents& c) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir, "cannot create the checkpoint folder (" + ec.message() + ")");
    saveWeights(*c.model, c.originals, dir + "/model.safetensors");
    // Serialised in memory, then written as any of our files: LibTorch writing a file itself ends the process
    // when the disk fills (its zip writer throws from a destructor), and it checks no write.
    std::ostringstream optimizerBytes;
    moveOptimizerState(*c.optimizer, torch::kCPU);
    torch::save(*c.optimizer, optimizerBytes);
    moveOptimizerState(*c.optimizer, c.device);
    writeFileAtomically(dir + "/optimizer.pt", optimizerBytes.str());
    std::ostringstream rng;
    rng << *c.dataRng;
    const nlohmann::json state = {{"step", c.step}, {"seconds", c.seconds}, {"data_rng", rng.str()},
                                  {"gate_rng", toHex(generatorState(*c.gateNoise))}};
    writeFileAtomically(dir + "/state.json", state.dump());
}

} // namespace

void moveOptimizerState(torch::optim::AdamW& optimizer, const torch::Device& device) {
    for (auto& item : optimizer.state()) {
        auto& s = static_cast<torch::optim::AdamWParamState&>(*item.second);
        if (s.exp_avg().defined()) s.exp_avg(s.exp_avg().to(device));
        if (s.exp_avg_sq().defined()) s.exp_avg_sq(s.exp_avg_sq().to(device));
        if (s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(s.max_exp_avg_sq().to(device));
    }
}

ResumeState readCheckpointState(const std::string& checkpointDir, const TrainConfig& tc, std::mt19937_64& dataRng,
                                torch::Generator& gateNoise, torch::optim::AdamW& optimizer, const torch::Device& device) {
    const std::string path = checkpointDir + "/state.json";
    const nlohmann::json state = jsonutil::parse(jsonutil::readTextFile(path), path);
    if (!state.is_object()) throw Error(path, "expected a JSON object (checkpoint corrupted?)");
    ResumeState r;
    r.step = jsonutil::requireInt(state, "step", path);
    r.seconds = jsonutil::requireNumber(state, "seconds", path);
    if (r.step < 0) throw Error(path, "\"step\" must be >= 0, got " + std::to_string(r.step));
    if (r.step > tc.steps)
        throw Error(path, "the checkpoint is at step " + std::to_string(r.step) + ", beyond the " + std::to_string(tc.steps) +
                              " steps of this TRAIN.json (raise \"steps\" to continue it)");
    std::istringstream rng(jsonutil::requireString(state, "data_rng", path));
    rng >> dataRng;
    if (rng.fail()) throw Error(path, "\"data_rng\" is not a random generator state (checkpoint corrupted?)");
    try {
        setGeneratorState(gateNoise, fromHex(jsonutil::requireString(state, "gate_rng", path), path));
    } catch (const c10::Error&) {
        throw Error(path, "\"gate_rng\" is not a random generator state (checkpoint corrupted?)");
    }
    const std::string optimizerPath = checkpointDir + "/optimizer.pt";
    requireRegularFile(optimizerPath);
    try {
        torch::load(optimizer, optimizerPath, torch::Device(torch::kCPU));   // written on the CPU (writeCheckpoint)
    } catch (const c10::Error&) {
        throw Error(optimizerPath, "cannot be read as this model's optimizer state (checkpoint corrupted?)");
    }
    moveOptimizerState(optimizer, device);
    return r;
}

void writeCheckpoint(const std::string& outDir, const CheckpointContents& c, const RunTokenizer* tokenizer) {
    // The new checkpoint beside the old one, then swapped in: a failed write takes only checkpoint-new/ away.
    const std::string ckpt = outDir + "/checkpoint", fresh = ckpt + "-new", old = ckpt + "-old";
    removeAll(fresh);
    try {
        writeCheckpointFiles(fresh, c);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(fresh, ec);
        throw;
    }
    removeAll(old);
    if (pathExists(ckpt)) rename(ckpt, old);
    try {
        rename(fresh, ckpt);
    } catch (...) {
        std::error_code ec;
        if (pathExists(old)) fs::rename(old, ckpt, ec);   // the previous checkpoint back in its place
        fs::remove_all(fresh, ec);
        throw;
    }
    removeAll(old);
    // The folder itself stays a usable model at every checkpoint.
    if (tokenizer && !tokenizer->copyFrom.empty()) copyTokenizerFiles(tokenizer->copyFrom, outDir);
    if (tokenizer && !tokenizer->characters.empty()) writeCharacterVocabulary(outDir + "/vocab.json", tokenizer->characters);
    saveWeights(*c.model, c.originals, outDir + "/model.safetensors");
    writeFileAtomically(outDir + "/config.json", c.model->config().toJson() + "\n");
    const nlohmann::json record = {{"train_config", nlohmann::json::parse(c.config->toJson())}, {"steps_done", c.step},
                                   {"seconds", c.seconds}};
    writeFileAtomically(outDir + "/training.json", record.dump(2) + "\n");
}

} // namespace headlight
