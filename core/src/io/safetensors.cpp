// safetensors, read into memory once and validated before any byte is trusted; written atomically.
#include "headlight/safetensors.h"

#include "io/atomic_file.h"
#include "io/own_pages.h"
#include "io/safetensors_read.h"
#include "headlight/input_file.h"
#include "io/json_util.h"
#include "headlight/error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace headlight {
namespace {

// The safetensors format caps its JSON header at 100 MB.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

// A short list of numbers as written ("[-4,12]"); anything longer or deeper as jsonutil::excerpt says it.
std::string listText(const nlohmann::json& v) {
    if (!v.is_array() || v.size() > 8) return jsonutil::excerpt(v);
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + (v[i].is_number() ? jsonutil::excerpt(v[i]) : std::string("..."));
    return s + "]";
}

struct DTypeInfo {
    DType dtype;
    const char* name;
    int size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::Bool, "BOOL", 1}};

bool parseDType(const std::string& s, DType& out) {
    for (const auto& d : kDTypes)
        if (s == d.name) { out = d.dtype; return true; }
    return false;
}

uint32_t bitsOf(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
float floatOf(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// halfToFloat as selections instead of branches, so that a loop of it becomes vector code; the same bits as
// halfToFloat for each of the 65,536 halves (test_formats checks every one).
inline float halfToFloatWithoutBranches(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t magnitude = static_cast<uint32_t>(h & 0x7FFFu) << 13;   // exponent and mantissa in place
    const uint32_t exponent = magnitude & 0x0F800000u;
    const uint32_t infinityOrNan = 0u - static_cast<uint32_t>(exponent == 0x0F800000u);   // all ones or zero
    const uint32_t zeroOrSubnormal = 0u - static_cast<uint32_t>(exponent == 0);
    // Normal: the exponent rebiased from 15 to 127; infinity and NaN: to 255, the mantissa (NaN payload) kept.
    const uint32_t normal = magnitude + ((127u - 15u) << 23) + (infinityOrNan & ((128u - 16u) << 23));
    // Zero and subnormal (m x 2^-24): (2^-14 + m x 2^-24) - 2^-14, exact in float32 and never subnormal itself.
    const uint32_t subnormal = bitsOf(floatOf(magnitude + (113u << 23)) - floatOf(113u << 23));
    return floatOf(sign | (zeroOrSubnormal & subnormal) | (~zeroOrSubnormal & normal));
}

} // namespace

const char* dtypeName(DType d) {
    for (const auto& x : kDTypes) if (x.dtype == d) return x.name;
    return "?";
}
int dtypeSize(DType d) {
    for (const auto& x : kDTypes) if (x.dtype == d) return x.size;
    return 0;
}
bool isFloatingPoint(DType d) { return d == DType::F64 || d == DType::F32 || d == DType::F16 || d == DType::BF16; }

int64_t SafetensorsEntry::numel() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

float halfToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    if (exp == 0x1F) return floatOf(sign | 0x7F800000 | (mant << 13));   // inf / nan
    if (exp == 0) {
        if (mant == 0) return floatOf(sign);
        // subnormal half: normalise
        int e = -1;
        do { mant <<= 1; ++e; } while ((mant & 0x400) == 0);
        return floatOf(sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FF) << 13);
    }
    return floatOf(sign | (exp + 127 - 15) << 23 | mant << 13);
}

uint16_t floatToHalf(float f) {
    const uint32_t u = bitsOf(f);
    const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
    const int exp = static_cast<int>((u >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = u & 0x7FFFFF;
    if (((u >> 23) & 0xFF) == 0xFF) return static_cast<uint16_t>(sign | 0x7C00 | (mant ? 0x200 : 0));
    if (exp >= 0x1F) return static_cast<uint16_t>(sign | 0x7C00);           // overflow -> inf
    if (exp <= 0) {                                                          // subnormal or zero
        if (exp < -10) return sign;
        mant |= 0x800000;
        const int shift = 14 - exp;
        uint32_t half = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) ++half;
        return static_cast<uint16_t>(sign | half);
    }
    uint32_t half = static_cast<uint32_t>(exp) << 10 | (mant >> 13);
    const uint32_t rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;              // may carry into the exponent
    return static_cast<uint16_t>(sign | half);
}

float bfloat16ToFloat(uint16_t b) { return floatOf(static_cast<uint32_t>(b) << 16); }

uint16_t floatToBfloat16(float f) {
    const uint32_t u = bitsOf(f);
    if ((u & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((u >> 16) | 0x40);   // quiet nan
    return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

namespace {

struct Descriptor {
    int fd;
    ~Descriptor() { ::close(fd); }
};

std::string gigabytes(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
    return text;
}

} // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) {
    requireRegularFile(path);   // "is a folder, expected a file", "is not a regular file (a FIFO)", ...
    // O_NONBLOCK: a FIFO swapped in after the check must not block the open.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) throw Error(path, errno == ENOENT ? "file not found" : std::string("cannot open (") + std::strerror(errno) + ")");
    const Descriptor closeOnReturn{fd};
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(path, "is not a regular file");
    const auto fileSize = static_cast<uint64_t>(st.st_size);
    if (fileSize < 8) throw Error(path, "truncated: shorter than the 8-byte header length");

    // The header first, read on its own: a hostile size in it is refused before any large allocation.
    uint8_t lengthBytes[8];
    if (!readFully(fd, 0, lengthBytes, 8)) throw readError(path);
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i) headerLen = headerLen << 8 | lengthBytes[i];
    if (headerLen > fileSize - 8)
        throw Error(path, "header length " + std::to_string(headerLen) + " is beyond the end of the file (" +
                              std::to_string(fileSize) + " bytes)");
    if (headerLen > kMaxSafetensorsHeaderBytes)   // the format's own limit (100 MB)
        throw Error(path, "header length " + std::to_string(headerLen) + " is above the format's limit of " +
                              std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
    std::string headerText(static_cast<size_t>(headerLen), '\0');
    if (!readFully(fd, 8, reinterpret_cast<uint8_t*>(headerText.data()), headerText.size())) throw readError(path);
    const nlohmann::json header = jsonutil::parse(headerText.data(), headerText.data() + headerText.size(), path, "header");
    if (!header.is_object()) throw Error(path, "header is not a JSON object");

    SafetensorsFile file;
    file.path_ = path;
    const uint64_t dataSize = fileSize - 8 - headerLen;

    for (const auto& item : header.items()) {
        if (item.key() == "__metadata__") {
            if (!item.value().is_object()) throw Error(path, "\"__metadata__\" is not an object");
            // The format says string to string; anything else is kept as a short description, never dumped.
            for (const auto& m : item.value().items())
                file.metadata_[m.key()] = m.value().is_string() ? m.value().get<std::string>() : jsonutil::excerpt(m.value());
            continue;
        }
        const auto& v = item.value();
        const std::string what = "tensor \"" + printableText(item.key(), 80) + "\"";
        if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
            throw Error(path, what + " needs dtype, shape and data_offsets");
        SafetensorsEntry e;
        e.name = item.key();
        if (!v["dtype"].is_string() || !parseDType(v["dtype"].get<std::string>(), e.dtype))
            throw Error(path, what + " has unknown dtype " + jsonutil::excerpt(v["dtype"]));
        if (!v["shape"].is_array()) throw Error(path, what + " has a shape that is not a list");
        int64_t count = 1;   // bounded so that count * 8 bytes cannot overflow
        for (const auto& d : v["shape"]) {
            if (!d.is_number_integer() || d.get<int64_t>() < 0) throw Error(path, what + " has a bad shape " + listText(v["shape"]));
            const int64_t n = d.get<int64_t>();
            if (n != 0 && count > std::numeric_limits<int64_t>::max() / 8 / n)
                throw Error(path, what + " has a bad shape " + listText(v["shape"]) + " (too many elements)");
            count *= n;
            e.shape.push_back(n);
        }
        const auto& off = v["data_offsets"];
        if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
            throw Error(path, what + " has bad data_offsets " + listText(off));
        e.begin = off[0].get<uint64_t>();
        e.end = off[1].get<uint64_t>();
        if (e.begin > e.end || e.end > dataSize)
            throw Error(path, what + " has data_offsets " + listText(off) + " outside the data section (" +
                                  std::to_string(dataSize) + " bytes; file truncated?)");
        if (e.end - e.begin != static_cast<uint64_t>(e.numel()) * static_cast<uint64_t>(dtypeSize(e.dtype)))
            throw Error(path, what + " has " + std::to_string(e.end - e.begin) + " bytes but shape " + shapeText(e.shape) +
                                  " x " + dtypeName(e.dtype) + " needs " +
                                  std::to_string(e.numel() * dtypeSize(e.dtype)));
        file.entries_.push_back(std::move(e));
    }
    // Overlap check on the sorted ranges (empty tensors overlap nothing).
    std::vector<const SafetensorsEntry*> sorted;
    for (const auto& e : file.entries_) if (e.end > e.begin) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
    for (size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i]->begin < sorted[i - 1]->end)
            throw Error(path, "tensors \"" + printableText(sorted[i - 1]->name, 80) + "\" and \"" + printableText(sorted[i]->name, 80) + "\" overlap");

    // Then the bytes the tensors use (trailing bytes no tensor names are not read), into memory of our own
    // (io/own_pages.h says why not a mapping of the file), at the same offsets as in the file: a tensor's
    // alignment is what the file gives it, as with a mapping. Read in pieces on several threads, each piece's NaN
    // and infinite values counted as it arrives: one pass over the bytes, not a second one to check the weights
    // (readAndCountNonFinite). Not beyond the machine's memory: these pages are the process's own (a mapping of
    // the file could be dropped and read again under memory pressure; a copy cannot).
    uint64_t used = 0;
    for (const auto& e : file.entries_) used = std::max(used, e.end);
    const uint64_t total = 8 + headerLen + used;
    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    if (memory > 0 && static_cast<double>(total) > memory)
        throw Error(path, "needs " + gigabytes(static_cast<double>(total)) + " of memory to load; this machine has " + gigabytes(memory));
    const auto pages = OwnPages::allocate(total, path);
    readAndCountNonFinite(fd, path, pages->bytes(), total, 8 + headerLen, file.entries_);
    file.pages_ = pages;
    file.data_ = pages->bytes() + 8 + headerLen;
    return file;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
    for (const auto& e : entries_) if (e.name == name) return &e;
    return nullptr;
}

void SafetensorsFile::copyAsFloat(const SafetensorsEntry& e, float* dst) const { copyAsFloat(e, dst, 0, e.numel()); }

void SafetensorsFile::copyAsFloat(const SafetensorsEntry& e, float* dst, int64_t first, int64_t count) const {
    if (first < 0 || count < 0 || first > e.numel() - count)
        throw Error(path_, "tensor \"" + e.name + "\" has no elements " + std::to_string(first) + " to " + std::to_string(first + count));
    const int64_t n = count;
    // Loops without a call or a branch on the value in them, which the compiler turns into vector code: the
    // conversion of a 2.5 GB bfloat16 model is then as fast as memory, not 1.3 s on one core.
    switch (e.dtype) {
    case DType::F32:
        if (n > 0) std::memcpy(dst, data_ + e.begin + 4 * first, static_cast<size_t>(n) * 4);   // an empty tensor's dst may be null (UBSan)
        return;
    case DType::F64: {
        const uint8_t* src = data_ + e.begin + 8 * first;
        for (int64_t i = 0; i < n; ++i) { double d; std::memcpy(&d, src + 8 * i, 8); dst[i] = static_cast<float>(d); }
        return;
    }
    case DType::F16: {
        const uint8_t* src = data_ + e.begin + 2 * first;
        for (int64_t i = 0; i < n; ++i) { uint16_t h; std::memcpy(&h, src + 2 * i, 2); dst[i] = halfToFloatWithoutBranches(h); }
        return;
    }
    case DType::BF16: {
        const uint8_t* src = data_ + e.begin + 2 * first;
        for (int64_t i = 0; i < n; ++i) { uint16_t h; std::memcpy(&h, src + 2 * i, 2); dst[i] = floatOf(static_cast<uint32_t>(h) << 16); }
        return;
    }
    default:
        throw Error(path_, "tensor \"" + e.name + "\" has dtype " + dtypeName(e.dtype) + ", expected a floating-point type");
    }
}

FloatArray SafetensorsFile::readFloat(const std::string& name) const {
    const SafetensorsEntry* e = find(name);
    if (!e) throw Error(path_, "tensor \"" + name + "\" is missing");
    std::vector<float> values(static_cast<size_t>(e->numel()));
    copyAsFloat(*e, values.data());
    return FloatArray(e->shape, std::move(values));
}

void writeSafetensors(const std::string& path, const std::vector<NamedArray>& tensors, DType storeAs,
                      const std::map<std::string, std::string>& metadata) {
    if (storeAs != DType::F32 && storeAs != DType::F16 && storeAs != DType::BF16)
        throw Error(path, std::string("cannot store tensors as ") + dtypeName(storeAs));
    const int width = dtypeSize(storeAs);
    nlohmann::json header = nlohmann::json::object();
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        const uint64_t bytes = static_cast<uint64_t>(t.array.size()) * static_cast<uint64_t>(width);
        header[t.name] = {{"dtype", dtypeName(storeAs)}, {"shape", t.array.shape()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' ');   // keep the data section 8-byte aligned

    AtomicFile out(path);
    {
        std::ofstream f(out.tempPath(), std::ios::binary);
        if (!f) throw Error(path, "cannot write (" + std::string(std::strerror(errno)) + ")");
        uint8_t len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(headerText.size()) >> (8 * i));
        f.write(reinterpret_cast<const char*>(len), 8);
        f.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        std::vector<uint16_t> narrow;
        for (const auto& t : tensors) {
            if (storeAs == DType::F32) {
                f.write(reinterpret_cast<const char*>(t.array.data()), static_cast<std::streamsize>(t.array.size() * 4));
                continue;
            }
            narrow.resize(static_cast<size_t>(t.array.size()));
            for (int64_t i = 0; i < t.array.size(); ++i)
                narrow[static_cast<size_t>(i)] = storeAs == DType::F16 ? floatToHalf(t.array.data()[i]) : floatToBfloat16(t.array.data()[i]);
            f.write(reinterpret_cast<const char*>(narrow.data()), static_cast<std::streamsize>(narrow.size() * 2));
        }
        f.close();   // flushes; a full disk shows here at the latest
        if (!f) throw Error(path, "write failed (disk full?)");
    }
    out.commit();
}

} // namespace headlight
