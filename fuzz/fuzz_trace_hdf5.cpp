// libFuzzer: the HDF5 trace reader on arbitrary bytes (seeds: traces written by `headlight-cli run`).
// Either a trace or headlight::Error. Note: the HDF5 library itself parses the container; crashes inside
// libhdf5 are reported upstream, not worked around here (docs/robustness.md).
#include "fuzz_support.h"
#include "headlight/error.h"
#include "headlight/trace_hdf5.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = headlight::fuzz::writeScratch("trace.h5", data, size);
    try {
        (void)headlight::readTraceHdf5(path);
    } catch (const headlight::Error&) {
    }
    return 0;
}
