#pragma once
// Internal: reading a safetensors file's bytes into memory (SafetensorsFile::open).
#include "headlight/error.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace headlight {

// Reads `size` bytes of `fd` from `offset` into `to`; false with errno set (0 when the file ended early: it
// shrank after fstat).
bool readFully(int fd, uint64_t offset, uint8_t* to, size_t size);
// What readFully's failure was, from errno.
Error readError(const std::string& path);

} // namespace headlight
