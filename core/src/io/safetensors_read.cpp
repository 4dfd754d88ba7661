#include "io/safetensors_read.h"

#include "io/parallel_for.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace headlight {
namespace {

// One huge page (SafetensorsFile::open maps the file's bytes on a huge-page boundary): in a well-formed file each
// piece fills one huge page, which one thread then faults in (two threads faulting one page would both have the
// kernel zero it), and which is still in the core's cache when the count reads it right after the read wrote
// it. A multiple of 8, so every element size divides it. 5 GB are 2,400 reads.
constexpr uint64_t kPieceBytes = uint64_t(2) << 20;

// Bytes [from, to) of one tensor within a piece, cut on element boundaries; its NaN/infinity count once read.
struct TensorSpan {
    size_t entry;
    uint64_t from, to;
    uint64_t nonFinite = 0;
};

// One read: file bytes [from, to), and the floating-point tensors' parts it holds.
struct Piece {
    uint64_t from = 0, to = 0;
    std::vector<TensorSpan> spans;
};

// Cuts [0, total) into pieces of kPieceBytes (the last one shorter, a piece that ends within a tensor a few bytes
// shorter so as not to split an element). Bytes no tensor uses (the header, gaps) are read as they come.
std::vector<Piece> planPieces(const std::vector<SafetensorsEntry>& entries, uint64_t total, uint64_t dataStart) {
    std::vector<size_t> order;   // tensors with bytes, in file order
    for (size_t i = 0; i < entries.size(); ++i)
        if (entries[i].end > entries[i].begin) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return entries[a].begin < entries[b].begin; });

    std::vector<Piece> pieces;
    Piece current;
    // Extends the current piece to `until` in steps that are multiples of `step` bytes, starting new pieces as
    // each fills; `entry` (or none) records the tensor bytes the piece holds.
    auto extend = [&](uint64_t until, uint64_t step, const size_t* entry) {
        while (current.to < until) {
            const uint64_t room = kPieceBytes - (current.to - current.from);
            const uint64_t take = std::min(until - current.to, room / step * step);
            if (take == 0) {   // less than one element of room left: the element starts the next piece
                pieces.push_back(std::move(current));
                current = Piece{pieces.back().to, pieces.back().to, {}};
                continue;
            }
            if (entry) current.spans.push_back({*entry, current.to, current.to + take});
            current.to += take;
        }
    };
    for (const size_t i : order) {
        const SafetensorsEntry& e = entries[i];
        extend(dataStart + e.begin, 1, nullptr);
        extend(dataStart + e.end, static_cast<uint64_t>(dtypeSize(e.dtype)), isFloatingPoint(e.dtype) ? &i : nullptr);
    }
    extend(total, 1, nullptr);
    if (current.to > current.from) pieces.push_back(std::move(current));
    return pieces;
}

// Values whose exponent bits are all ones (infinity or NaN), read as `Bits` from possibly unaligned bytes.
template <typename Bits, Bits kExponent>
uint64_t countAllOnesExponent(const uint8_t* bytes, uint64_t count) {
    uint64_t found = 0;
    // Blocks with a narrow counter: the compiler keeps the compare and the sum in vector registers.
    for (uint64_t start = 0; start < count; start += 4096) {
        const uint64_t end = std::min(count, start + 4096);
        uint32_t inBlock = 0;
        for (uint64_t i = start; i < end; ++i) {
            Bits b;
            std::memcpy(&b, bytes + i * sizeof(Bits), sizeof b);
            inBlock += static_cast<uint32_t>((b & kExponent) == kExponent);
        }
        found += inBlock;
    }
    return found;
}

} // namespace

bool readFully(int fd, uint64_t offset, uint8_t* to, size_t size) {
    size_t done = 0;
    while (done < size) {
        // Reads of at most 1 GiB: Linux caps one read near 2 GiB.
        const ssize_t n = ::pread(fd, to + done, std::min<size_t>(size - done, size_t(1) << 30),
                                  static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = 0;
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

Error readError(const std::string& path) {
    return errno == 0 ? Error(path, "shrank while being read (truncated by another program?)")
                      : Error(path, std::string("cannot read (") + std::strerror(errno) + ")");
}

uint64_t countNonFinite(DType dtype, const uint8_t* bytes, uint64_t count) {
    switch (dtype) {
    case DType::F32: return countAllOnesExponent<uint32_t, 0x7F800000u>(bytes, count);
    case DType::F16: return countAllOnesExponent<uint16_t, 0x7C00u>(bytes, count);
    case DType::BF16: return countAllOnesExponent<uint16_t, 0x7F80u>(bytes, count);
    case DType::F64: return countAllOnesExponent<uint64_t, 0x7FF0000000000000ull>(bytes, count);
    default: return 0;
    }
}

void readAndCountNonFinite(int fd, const std::string& path, uint8_t* to, uint64_t total, uint64_t dataStart,
                           std::vector<SafetensorsEntry>& entries) {
    std::vector<Piece> pieces = planPieces(entries, total, dataStart);
    // One read at a time cannot keep up with the page cache: copying into pages this process has never touched
    // costs a page fault and the kernel's zeroing of each page besides the copy, work that threads share.
    parallelFor(pieces.size(), [&](size_t p) {
        Piece& piece = pieces[p];
        if (!readFully(fd, piece.from, to + piece.from, static_cast<size_t>(piece.to - piece.from))) throw readError(path);
        for (TensorSpan& s : piece.spans) {
            const DType dtype = entries[s.entry].dtype;
            s.nonFinite = countNonFinite(dtype, to + s.from, (s.to - s.from) / static_cast<uint64_t>(dtypeSize(dtype)));
        }
    });
    for (const Piece& piece : pieces)
        for (const TensorSpan& s : piece.spans) entries[s.entry].nonFinite += s.nonFinite;
}

} // namespace headlight
