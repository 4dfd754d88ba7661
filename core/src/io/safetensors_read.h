#pragma once
// Internal: reading a safetensors file's bytes into memory (SafetensorsFile::open).
#include "headlight/error.h"
#include "headlight/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace headlight {

// Reads `size` bytes of `fd` from `offset` into `to`; false with errno set (0 when the file ended early: it
// shrank after fstat).
bool readFully(int fd, uint64_t offset, uint8_t* to, size_t size);
// What readFully's failure was, from errno.
Error readError(const std::string& path);

// Reads bytes [0, total) of `fd` into `to` (each byte at its offset in the file) in pieces of 2 MiB on as many
// threads as the machine has (parallelFor), and counts each floating-point tensor's NaN and infinite values into
// its entry's nonFinite right after a piece is read, while its bytes are still in the cache. `dataStart` is the
// offset of the data section, which entries' offsets count from; every entry lies within [dataStart, total).
// Throws readError's Error (naming `path`) when a read fails or the file ends early.
void readAndCountNonFinite(int fd, const std::string& path, uint8_t* to, uint64_t total, uint64_t dataStart,
                           std::vector<SafetensorsEntry>& entries);

// NaN and infinite values among `count` little-endian values of `dtype` at `bytes` (any alignment); 0 for
// dtypes that are not floating point.
uint64_t countNonFinite(DType dtype, const uint8_t* bytes, uint64_t count);

} // namespace headlight
