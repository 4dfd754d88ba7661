#include "checkpoint/checkpoint.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "io/json_util.h"
#include "io/own_pages.h"
#include "io/parallel_for.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

namespace headlight {
namespace {

constexpr int64_t kHugePage = int64_t(2) << 20;

// Float32 memory for a converted tensor. A huge page or more gets pages of its own on huge pages (OwnPages): the
// conversion then faults them in 2 MiB at a time, on every thread, not 4 KiB at a time in LibTorch's allocator.
torch::Tensor floatTensorFor(const SafetensorsEntry& e, const std::string& path) {
    const int64_t bytes = e.numel() * static_cast<int64_t>(sizeof(float));
    if (bytes < kHugePage) return torch::empty(e.shape, torch::kFloat);
    auto pages = OwnPages::allocate(static_cast<uint64_t>(bytes), path);
    return torch::from_blob(pages->bytes(), e.shape, [pages](void*) {}, torch::kFloat);
}

// Converts `entries` to float32 tensors in `out`, on `device`: in pieces of 2 MiB of float32 on every thread
// (parallelFor). A bfloat16 copy of a 1B-parameter model took 6.8 s converted tensor by tensor on one thread,
// mostly in page faults of the fresh float32 memory (docs/robustness.md).
void convertInPieces(const SafetensorsFile& file, const std::vector<const SafetensorsEntry*>& entries,
                     const torch::Device& device, NamedTensors& out) {
    std::vector<torch::Tensor> tensors;
    for (const SafetensorsEntry* e : entries) tensors.push_back(floatTensorFor(*e, file.path()));
    struct Piece {
        size_t tensor;
        int64_t first, count;
    };
    constexpr int64_t kElementsPerPiece = kHugePage / static_cast<int64_t>(sizeof(float));
    std::vector<Piece> pieces;
    for (size_t t = 0; t < entries.size(); ++t)
        for (int64_t first = 0, n = entries[t]->numel(); first < n; first += kElementsPerPiece)
            pieces.push_back({t, first, std::min(kElementsPerPiece, n - first)});
    parallelFor(pieces.size(), [&](size_t i) {
        const Piece& p = pieces[i];
        file.copyAsFloat(*entries[p.tensor], tensors[p.tensor].data_ptr<float>() + p.first, p.first, p.count);
    });
    for (size_t t = 0; t < entries.size(); ++t) out[entries[t]->name] = tensors[t].to(device);
}

} // namespace

NamedTensors readTensors(const SafetensorsFile& file, const torch::Device& device, const SkipTensor& skip) {
    // NaN or infinity in a weight makes every output NaN, which views would draw as numbers: refused here, naming
    // the tensor as the file does. SafetensorsFile::open counted them while reading (no second pass over 5 GB);
    // skipped buffers may hold anything (a causal mask of -inf).
    for (const auto& e : file.entries()) {
        if (e.nonFinite == 0 || (skip && skip(e.name))) continue;
        throw Error(file.path(), "tensor \"" + printableText(e.name, 80) + "\" holds " + std::to_string(e.nonFinite) +
                                     " NaN or infinite value" + (e.nonFinite == 1 ? "" : "s") + " (of " +
                                     std::to_string(e.numel()) + ")");
    }
    NamedTensors out;
    std::vector<const SafetensorsEntry*> converted;
    for (const auto& e : file.entries()) {
        if (skip && skip(e.name)) continue;
        const auto address = reinterpret_cast<std::uintptr_t>(file.rawData(e));
        if (e.dtype == DType::F32 && device.is_cpu() && address % alignof(float) == 0) {
            // Zero-copy: the tensor reads the file's bytes in memory, which stay alive while it lives.
            auto keep = file.owner();
            out[e.name] = torch::from_blob(const_cast<void*>(file.rawData(e)), e.shape, [keep](void*) {}, torch::kFloat);
            continue;
        }
        if (!isFloatingPoint(e.dtype))
            throw Error(file.path(), "tensor \"" + e.name + "\" has dtype " + dtypeName(e.dtype) + ", expected a floating-point type");
        converted.push_back(&e);
    }
    if (device.is_cpu()) convertInPieces(file, converted, device, out);
    else   // one tensor at a time: the host holds one float32 copy beside the file's bytes, not the whole model
        for (const SafetensorsEntry* e : converted) convertInPieces(file, {e}, device, out);
    // A finite float64 beyond float32's range becomes infinite in the conversion, which the count above cannot see.
    for (const SafetensorsEntry* e : converted) {
        if (e->dtype != DType::F64) continue;
        const torch::Tensor& t = out.at(e->name);
        if (const int64_t bad = t.numel() - torch::isfinite(t).sum().item<int64_t>(); bad > 0)
            throw Error(file.path(), "tensor \"" + printableText(e->name, 80) + "\" holds " + std::to_string(bad) +
                                         " float64 value" + (bad == 1 ? "" : "s") + " beyond float32's range");
    }
    return out;
}

std::string checkpointFile(const std::string& dir) {
    if (pathExists(dir + "/model.safetensors")) return dir + "/model.safetensors";
    if (pathExists(dir + "/model.safetensors.index.json")) return dir + "/model.safetensors.index.json";
    return "";
}

NamedTensors readCheckpoint(const std::string& dir, const torch::Device& device, const SkipTensor& skip) {
    const std::string single = dir + "/model.safetensors";
    const std::string indexPath = dir + "/model.safetensors.index.json";
    const std::string weights = checkpointFile(dir);
    if (weights.empty()) throw Error(single, "file not found (a model folder needs model.safetensors or model.safetensors.index.json)");
    requireRegularFile(weights);   // a FIFO or a folder in its place is named as what it is
    if (weights == single) return readTensors(SafetensorsFile::open(single), device, skip);

    const nlohmann::json index = jsonutil::parse(jsonutil::readTextFile(indexPath), indexPath);
    if (!index.is_object() || !index.contains("weight_map") || !index.at("weight_map").is_object())
        throw Error(indexPath, "has no \"weight_map\" object");
    std::map<std::string, std::string> shardOf;   // tensor -> file
    for (const auto& item : index.at("weight_map").items()) {
        if (!item.value().is_string()) throw Error(indexPath, "the file of tensor \"" + item.key() + "\" is not a string");
        const auto file = item.value().get<std::string>();
        if (file.empty() || file.find_first_of(std::string("/\0", 2)) != std::string::npos || file == "." || file == "..")
            throw Error(indexPath, "\"" + file.substr(0, 80) + "\" is not a file name in the model folder");
        shardOf[item.key()] = file;
    }
    std::map<std::string, bool> files;
    for (const auto& [tensor, file] : shardOf) files[file] = true;
    NamedTensors out;
    std::set<std::string> found;   // every tensor of every shard, skipped ones included: the index covers them all
    for (const auto& [file, unused] : files) {
        const std::string path = dir + "/" + file;
        if (const std::string problem = regularFileProblem(path); !problem.empty())
            throw Error(path, problem + " (named by model.safetensors.index.json)");
        const SafetensorsFile shard = SafetensorsFile::open(path);
        for (const auto& e : shard.entries()) {
            auto it = shardOf.find(e.name);
            if (it == shardOf.end()) throw Error(path, "tensor \"" + e.name + "\" is not in model.safetensors.index.json");
            if (it->second != file) throw Error(path, "tensor \"" + e.name + "\" belongs to " + it->second + " by the index");
            if (!found.insert(e.name).second) throw Error(path, "tensor \"" + e.name + "\" appears twice");
        }
        for (auto& [name, t] : readTensors(shard, device, skip)) out[name] = std::move(t);
    }
    for (const auto& [tensor, file] : shardOf)
        if (!found.count(tensor)) throw Error(dir + "/" + file, "tensor \"" + tensor + "\" is missing (model.safetensors.index.json puts it here)");
    return out;
}

} // namespace headlight
