#pragma once
// Shared by the libFuzzer harnesses: a scratch folder per process for inputs that must be files (the readers
// take paths: they mmap, check file kinds, or hand the path to HDF5).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace headlight::fuzz {

// A folder of this process's own, created once and reused by every iteration.
inline const std::string& scratchFolder() {
    static const std::string dir = [] {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/headlight-fuzz-XXXXXX";
        if (!mkdtemp(pattern.data())) std::abort();
        return pattern;
    }();
    return dir;
}

// Writes `size` bytes to `name` in the scratch folder and returns its path.
inline std::string writeScratch(const std::string& name, const uint8_t* data, size_t size) {
    const std::string path = scratchFolder() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path;
}

inline void removeScratch(const std::string& name) { std::remove((scratchFolder() + "/" + name).c_str()); }

} // namespace headlight::fuzz
