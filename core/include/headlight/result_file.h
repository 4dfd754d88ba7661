#pragma once
// The HDF5 files the pruning analyses write (importance, ablation, curves; docs/pruning.md): float32 and int32
// datasets at the root, with string attributes.
#include "headlight/array.h"

#include <cstdint>
#include <map>
#include <string>

namespace headlight {

struct ResultFile {
    std::map<std::string, FloatArray> floats;
    std::map<std::string, NdArray<int32_t>> ints;
    std::map<std::string, std::string> attributes;
};
// Atomic (temporary file, then rename); throws headlight::Error naming the path.
void writeResultHdf5(const std::string& path, const ResultFile& file);
ResultFile readResultHdf5(const std::string& path);

} // namespace headlight
