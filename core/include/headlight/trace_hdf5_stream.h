#pragma once
// HDF5 traces written while the engine runs: each captured layer goes to the file as soon as it is computed
// and is released, so a full capture of a long input never holds every layer in memory. The file is the one
// writeTraceHdf5 writes (docs/trace-format.md) and readTraceHdf5 reads.
#include "headlight/engine.h"
#include "headlight/trace_hdf5.h"

#include <functional>
#include <string>

namespace headlight {

// Runs `request` on `engine` (Engine::run with a layer sink) and writes its trace to `path` atomically: a
// temporary file beside it, renamed on success, removed on failure. Returns the trace without its layers.
// Throws headlight::Error from the run (bad input) or naming the path.
Trace runToTraceHdf5(const Engine& engine, const RunRequest& request, const std::string& path, const Provenance& provenance);
// The same for any run: `run` gets the sink to hand each captured layer to (Engine::run's) and returns the trace
// without its layers, whose other datasets and `provenance` are then written (a Session's run, say).
Trace writeTraceHdf5Streaming(const std::string& path, const Provenance& provenance,
                              const std::function<Trace(const Engine::LayerSink&)>& run);

} // namespace headlight
