#pragma once
// HDF5 traces for notebooks: see docs/trace-format.md for the layout.
#include "headlight/attribution.h"
#include "headlight/logit_lens.h"
#include "headlight/trace.h"

#include <map>
#include <memory>
#include <string>

namespace headlight {

// Root attributes recording where a trace came from (model path, config JSON, text, device, ...).
using Provenance = std::map<std::string, std::string>;

// Writes atomically: a temporary file beside `path`, renamed on success, removed on failure.
// Throws headlight::Error naming the path.
void writeTraceHdf5(const std::string& path, const Trace& trace, const Provenance& provenance);

// What the app computed for a run beside its trace (docs/head-roles.md), saved with it: /rollout, /lens/...,
// /attribution/... (docs/trace-format.md). Each is left out when empty or null.
struct TraceAnalyses {
    FloatArray rollout;                               // [T,T]
    std::shared_ptr<const LogitLens> lens;            // its rollout is not written again
    std::shared_ptr<const Attribution> attribution;
};
void writeTraceHdf5(const std::string& path, const Trace& trace, const Provenance& provenance, const TraceAnalyses& analyses);

// Throws headlight::Error naming `path` when it cannot be written (missing or read-only folder).
void checkTraceOutputPath(const std::string& path);

struct LoadedTrace {
    Trace trace;
    Provenance provenance;
    TraceAnalyses analyses;
};
// Reads a trace written by writeTraceHdf5. Throws headlight::Error naming the path.
LoadedTrace readTraceHdf5(const std::string& path);

} // namespace headlight
