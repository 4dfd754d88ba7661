#include "io/trace_hdf5_layout.h"

#include "io/hdf5_util.h"

namespace headlight::h5layout {

using h5::Handle;

void writeFloats(hid_t loc, const std::string& path, const std::string& name, const FloatArray& a) {
    if (a.empty() && a.shape().empty()) return;
    h5::writeDataset(loc, path, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, a.shape(), a.data());
}

void writeLayer(hid_t layers, const std::string& path, const LayerTrace& lt) {
    const std::string group = std::to_string(lt.layer);
    Handle g(H5Gcreate2(layers, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.ok()) throw Error(path, "HDF5 error while creating group /layers/" + group);
    std::vector<int32_t> heads(lt.heads.begin(), lt.heads.end());
    h5::writeDataset(g.get(), path, "heads", H5T_NATIVE_INT32, H5T_STD_I32LE, {static_cast<int64_t>(heads.size())}, heads.data());
    writeFloats(g.get(), path, "attention", lt.attention);
    for (const auto& [name, a] : lt.tensors) {
        // A mechanism's capture becomes /layers/<l>/<name>: a plain identifier, never one of the layer's own.
        const bool identifier = !name.empty() && name.size() <= 64 &&
                                name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
        if (!identifier || name == "attention" || name == "heads")
            throw Error(path, "\"" + printableText(name, 40) + "\" is not a name for a layer's dataset");
        writeFloats(g.get(), path, name, a);
    }
}

void writeRun(hid_t root, const std::string& path, const Trace& trace) {
    h5::writeDataset(root, path, "token_ids", H5T_NATIVE_INT64, H5T_STD_I64LE, {static_cast<int64_t>(trace.tokenIds.size())},
                     trace.tokenIds.data());
    std::vector<const char*> tokens;
    for (const auto& s : trace.tokens) {
        h5::requireNoNul(path, "a token's text", s);
        tokens.push_back(s.c_str());
    }
    Handle t = h5::stringType();
    h5::writeDataset(root, path, "tokens", t.get(), t.get(), {static_cast<int64_t>(tokens.size())}, tokens.data());
    writeFloats(root, path, "logits", trace.logits);
    writeFloats(root, path, "loss", trace.loss);
    writeFloats(root, path, "head_mask", trace.headMask);
    if (!trace.contextBudget.empty()) {
        std::vector<int32_t> budget(trace.contextBudget.begin(), trace.contextBudget.end());
        h5::writeDataset(root, path, "context_budget", H5T_NATIVE_INT32, H5T_STD_I32LE, {static_cast<int64_t>(budget.size())}, budget.data());
    }
    if (trace.digests.empty()) return;
    Handle digests(H5Gcreate2(root, "digests", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!digests.ok()) throw Error(path, "HDF5 error while creating group /digests");
    for (const LayerDigest& d : trace.digests) {
        const std::string name = std::to_string(d.layer);
        Handle g(H5Gcreate2(digests.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "HDF5 error while creating group /digests/" + name);
        for (const auto& [field, a] : d.named()) writeFloats(g.get(), path, field, *a);
        const int64_t bin = d.bin;
        h5::writeDataset(g.get(), path, "bin", H5T_NATIVE_INT64, H5T_STD_I64LE, {}, &bin);
    }
}

} // namespace headlight::h5layout
