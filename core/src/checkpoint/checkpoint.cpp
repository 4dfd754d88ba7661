#include "checkpoint/checkpoint.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "io/json_util.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace headlight {
namespace {

bool isRegularFile(const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

NamedTensors readTensors(const SafetensorsFile& file, const torch::Device& device) {
    NamedTensors out;
    for (const auto& e : file.entries()) {
        const auto address = reinterpret_cast<std::uintptr_t>(file.rawData(e));
        if (e.dtype == DType::F32 && device.is_cpu() && address % alignof(float) == 0) {
            // Zero-copy: the tensor reads the file's bytes in memory, which stay alive while it lives.
            auto keep = file.owner();
            out[e.name] = torch::from_blob(const_cast<void*>(file.rawData(e)), e.shape, [keep](void*) {}, torch::kFloat);
            continue;
        }
        auto t = torch::empty(e.shape, torch::kFloat);
        file.copyAsFloat(e, t.data_ptr<float>());
        out[e.name] = t.to(device);
    }
    return out;
}

std::string checkpointFile(const std::string& dir) {
    if (isRegularFile(dir + "/model.safetensors")) return dir + "/model.safetensors";
    if (isRegularFile(dir + "/model.safetensors.index.json")) return dir + "/model.safetensors.index.json";
    return "";
}

NamedTensors readCheckpoint(const std::string& dir, const torch::Device& device) {
    const std::string single = dir + "/model.safetensors";
    if (isRegularFile(single)) return readTensors(SafetensorsFile::open(single), device);
    const std::string indexPath = dir + "/model.safetensors.index.json";
    if (!isRegularFile(indexPath))
        throw Error(single, "file not found (a model folder needs model.safetensors or model.safetensors.index.json)");

    const nlohmann::json index = jsonutil::parse(jsonutil::readTextFile(indexPath), indexPath);
    if (!index.is_object() || !index.contains("weight_map") || !index.at("weight_map").is_object())
        throw Error(indexPath, "has no \"weight_map\" object");
    std::map<std::string, std::string> shardOf;   // tensor -> file
    for (const auto& item : index.at("weight_map").items()) {
        if (!item.value().is_string()) throw Error(indexPath, "the file of tensor \"" + item.key() + "\" is not a string");
        const auto file = item.value().get<std::string>();
        if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
            throw Error(indexPath, "\"" + file.substr(0, 80) + "\" is not a file name in the model folder");
        shardOf[item.key()] = file;
    }
    std::map<std::string, bool> files;
    for (const auto& [tensor, file] : shardOf) files[file] = true;
    NamedTensors out;
    for (const auto& [file, unused] : files) {
        const std::string path = dir + "/" + file;
        if (const std::string problem = regularFileProblem(path); !problem.empty())
            throw Error(path, problem + " (named by model.safetensors.index.json)");
        for (auto& [name, t] : readTensors(SafetensorsFile::open(path), device)) {
            auto it = shardOf.find(name);
            if (it == shardOf.end()) throw Error(path, "tensor \"" + name + "\" is not in model.safetensors.index.json");
            if (it->second != file) throw Error(path, "tensor \"" + name + "\" belongs to " + it->second + " by the index");
            if (out.count(name)) throw Error(path, "tensor \"" + name + "\" appears twice");
            out[name] = std::move(t);
        }
    }
    for (const auto& [tensor, file] : shardOf)
        if (!out.count(tensor)) throw Error(dir + "/" + file, "tensor \"" + tensor + "\" is missing (model.safetensors.index.json puts it here)");
    return out;
}

} // namespace headlight
