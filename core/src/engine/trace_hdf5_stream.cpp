// Streamed traces: the layout of trace_hdf5.cpp (docs/trace-format.md), written layer by layer from the
// engine's layer sink, then the per-run datasets and provenance once the run is done.
#include "headlight/trace_hdf5_stream.h"

#include "io/atomic_file.h"
#include "io/hdf5_util.h"
#include "io/trace_hdf5_layout.h"
#include "headlight/error.h"

#include <hdf5.h>

namespace headlight {

using h5::Handle;

Trace runToTraceHdf5(const Engine& engine, const RunRequest& request, const std::string& path, const Provenance& provenance) {
    return writeTraceHdf5Streaming(path, provenance, [&](const Engine::LayerSink& sink) { return engine.run(request, sink); });
}

Trace writeTraceHdf5Streaming(const std::string& path, const Provenance& provenance,
                              const std::function<Trace(const Engine::LayerSink&)>& run) {
    h5::silence();
    AtomicFile out(path);
    Trace trace;
    {
        Handle file(H5Fcreate(out.tempPath().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        if (!file.ok()) throw Error(path, "cannot create the HDF5 file");
        const hid_t root = file.get();
        Handle layers(H5Gcreate2(root, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!layers.ok()) throw Error(path, "HDF5 error while creating group /layers");
        trace = run([&](LayerTrace&& lt) { h5layout::writeLayer(layers.get(), path, lt); });
        h5layout::writeRun(root, path, trace);
        for (const auto& [key, value] : provenance) h5::writeStringAttribute(root, path, key, value);
        if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0) throw Error(path, "cannot write the HDF5 file (disk full?)");
    }
    out.commit();
    return trace;
}

} // namespace headlight
