#pragma once
// HDF5 traces for notebooks: see docs/trace-format.md for the layout.
#include "headlight/trace.h"

#include <map>
#include <string>

namespace headlight {

// Root attributes recording where a trace came from (model path, config JSON, text, device, ...).
using Provenance = std::map<std::string, std::string>;

// Writes atomically: a temporary file beside `path`, renamed on success, removed on failure.
// Throws headlight::Error naming the path.
void writeTraceHdf5(const std::string& path, const Trace& trace, const Provenance& provenance);

// Throws headlight::Error naming `path` when it cannot be written (missing or read-only folder).
void checkTraceOutputPath(const std::string& path);

struct LoadedTrace {
    Trace trace;
    Provenance provenance;
};
// Reads a trace written by writeTraceHdf5. Throws headlight::Error naming the path.
LoadedTrace readTraceHdf5(const std::string& path);

} // namespace headlight
