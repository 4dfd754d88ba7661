#pragma once
// The safetensors format, read and written by hand: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {...}}, then the raw little-endian data.
#include "headlight/array.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace headlight {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

const char* dtypeName(DType d);
int dtypeSize(DType d);
bool isFloatingPoint(DType d);   // F64, F32, F16, BF16

struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;   // byte offsets relative to the data section
    uint64_t end = 0;
    // NaN and infinite values among the tensor's values, counted as the file was read (0 for integer dtypes).
    uint64_t nonFinite = 0;
    int64_t numel() const;
};

class SafetensorsFile {
public:
    // Reads the file into memory of its own (a file changed or truncated later cannot pull pages from under
    // the model) and validates the header: every offset in range, sizes matching shape x dtype,
    // no two tensors overlapping. Counts each tensor's NaN and infinite values as it reads (entries()[i].nonFinite)
    // but refuses none: that is the caller's to decide. Throws headlight::Error naming the file.
    static SafetensorsFile open(const std::string& path);

    const std::string& path() const { return path_; }
    const std::vector<SafetensorsEntry>& entries() const { return entries_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const SafetensorsEntry* find(const std::string& name) const;

    // Converts a floating-point tensor (F64, F32, F16, BF16) to float32 into `dst` (numel floats).
    void copyAsFloat(const SafetensorsEntry& entry, float* dst) const;
    // The same for elements [first, first + count) only, into dst[0, count): pieces of a tensor converted on
    // several threads (readTensors).
    void copyAsFloat(const SafetensorsEntry& entry, float* dst, int64_t first, int64_t count) const;
    FloatArray readFloat(const std::string& name) const;
    // The entry's raw little-endian bytes, valid while `owner()` (or this file) is alive.
    const void* rawData(const SafetensorsEntry& entry) const { return data_ + entry.begin; }
    std::shared_ptr<const void> owner() const { return pages_; }

private:
    std::string path_;
    std::shared_ptr<const void> pages_;   // the memory data_ points into
    const uint8_t* data_ = nullptr;   // start of the data section
    std::vector<SafetensorsEntry> entries_;
    std::map<std::string, std::string> metadata_;
};

struct NamedArray {
    std::string name;
    FloatArray array;
};

// Writes float tensors stored as `storeAs` (F32, F16 or BF16), atomically (temporary file, then rename).
void writeSafetensors(const std::string& path, const std::vector<NamedArray>& tensors,
                      DType storeAs = DType::F32, const std::map<std::string, std::string>& metadata = {});

// IEEE half / bfloat16 conversions (round to nearest even), exposed for tests.
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
float bfloat16ToFloat(uint16_t b);
uint16_t floatToBfloat16(float f);

} // namespace headlight
