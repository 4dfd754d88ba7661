#pragma once
// Internal: the layout of an HDF5 trace (docs/trace-format.md), written in one place for both writers: the
// whole trace at once (trace_hdf5.cpp) and layer by layer while the engine runs (trace_hdf5_stream.cpp).
#include "headlight/trace_hdf5.h"

#include <hdf5.h>
#include <string>
#include <vector>

namespace headlight::h5layout {

// An array with no shape is absent (not written); an empty array with a shape is written empty.
void writeFloats(hid_t loc, const std::string& path, const std::string& name, const FloatArray& a);
// /layers/<l>: its head indices and every captured tensor (LayerTrace::named).
void writeLayer(hid_t layers, const std::string& path, const LayerTrace& lt);
// The per-run datasets at the root: token ids and texts, logits, loss, head mask, context budget, and the
// digests of every head under /digests/<l> (long inputs).
void writeRun(hid_t root, const std::string& path, const Trace& trace);
// /rollout, /lens/..., /attribution/... (TraceAnalyses), each only when present.
void writeAnalyses(hid_t root, const std::string& path, const TraceAnalyses& analyses);
// /roles/<role> [L,H] for each measured role (Trace::roleScores, per layer [R,H]), and back.
void writeRoles(hid_t root, const std::string& path, const std::vector<FloatArray>& perLayer);
std::vector<FloatArray> splitRoles(const std::vector<FloatArray>& byRole, const std::string& path);

} // namespace headlight::h5layout
