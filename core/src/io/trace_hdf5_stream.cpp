// Streamed traces: the layout of trace_hdf5.cpp (docs/trace-format.md), written layer by layer from the
// engine's layer sink, then the per-run datasets and provenance once the run is done.
#include "headlight/trace_hdf5_stream.h"

#include "io/atomic_file.h"
#include "io/hdf5_util.h"
#include "headlight/error.h"

#include <hdf5.h>

namespace headlight {
namespace {

using h5::Handle;

void writeFloats(hid_t loc, const std::string& path, const std::string& name, const FloatArray& a) {
    if (a.empty() && a.shape().empty()) return;   // absent, as writeTraceHdf5 leaves it
    h5::writeDataset(loc, path, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, a.shape(), a.data());
}

void writeLayer(hid_t layers, const std::string& path, const LayerTrace& lt) {
    const std::string name = std::to_string(lt.layer);
    Handle g(H5Gcreate2(layers, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.ok()) throw Error(path, "HDF5 error while creating group /layers/" + name);
    std::vector<int32_t> heads(lt.heads.begin(), lt.heads.end());
    h5::writeDataset(g.get(), path, "heads", H5T_NATIVE_INT32, H5T_STD_I32LE, {static_cast<int64_t>(heads.size())}, heads.data());
    for (const auto& [field, a] : lt.named())
        if (a->data()) writeFloats(g.get(), path, field, *a);
}

void writeRun(hid_t root, const std::string& path, const Trace& trace) {
    h5::writeDataset(root, path, "token_ids", H5T_NATIVE_INT64, H5T_STD_I64LE, {static_cast<int64_t>(trace.tokenIds.size())},
                     trace.tokenIds.data());
    std::vector<const char*> tokens;
    for (const auto& s : trace.tokens) tokens.push_back(s.c_str());
    Handle t = h5::stringType();
    h5::writeDataset(root, path, "tokens", t.get(), t.get(), {static_cast<int64_t>(tokens.size())}, tokens.data());
    writeFloats(root, path, "logits", trace.logits);
    writeFloats(root, path, "loss", trace.loss);
    writeFloats(root, path, "head_mask", trace.headMask);
}

} // namespace

Trace runToTraceHdf5(const Engine& engine, const RunRequest& request, const std::string& path, const Provenance& provenance) {
    h5::silence();
    AtomicFile out(path);
    Trace trace;
    {
        Handle file(H5Fcreate(out.tempPath().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        if (!file.ok()) throw Error(path, "cannot create the HDF5 file");
        const hid_t root = file.get();
        Handle layers(H5Gcreate2(root, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!layers.ok()) throw Error(path, "HDF5 error while creating group /layers");
        trace = engine.run(request, [&](LayerTrace&& lt) { writeLayer(layers.get(), path, lt); });
        writeRun(root, path, trace);
        for (const auto& [key, value] : provenance) h5::writeStringAttribute(root, path, key, value);
        if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0) throw Error(path, "cannot write the HDF5 file (disk full?)");
    }
    out.commit();
    return trace;
}

} // namespace headlight
