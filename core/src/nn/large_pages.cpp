// LibTorch's CPU tensors of 256 KiB and more kept for the next tensor of the same size when freed, up to
// kCachedBytes; those of 2 MiB and more aligned to 2 MiB and advised as transparent huge pages
// (madvise(MADV_HUGEPAGE); the kernel's default "madvise" mode gives them only to memory that asks). A forward pass writes hundreds of megabytes
// of fresh activations, logits and captured attention per run, and the next run asks for the same sizes again: in
// fresh 4 KiB pages every page is a fault and a page the kernel zeroes. Measured with bench_encoder_decoder
// (opus-mt-sized Marian, 2 cores of a virtual machine) and bench_engine: docs/architecture.md, Speed.
#include "nn/large_pages.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <sys/mman.h>
#include <unordered_map>

namespace headlight {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kPage = size_t(4) << 10;
constexpr size_t kLargeBlock = size_t(256) << 10;  // from here on a block is cached (a head's [T,T] at 256 tokens)
constexpr size_t kCachedBytes = size_t(1) << 30;   // as much freed memory as glibc keeps (runtime.cpp)

// Large blocks handed out (pointer -> size) and freed blocks waiting for a tensor of their size.
struct LargeBlocks {
    std::mutex mutex;
    std::unordered_map<void*, size_t> live;
    std::multimap<size_t, void*> idle;
    size_t idleBytes = 0;

    void* take(size_t size) {
        std::lock_guard<std::mutex> lock(mutex);
        void* p = nullptr;
        if (auto it = idle.find(size); it != idle.end()) {
            p = it->second;
            idle.erase(it);
            idleBytes -= size;
        } else {
            const bool huge = size >= kHugePage;
            if (posix_memalign(&p, huge ? kHugePage : kPage, size) != 0 || !p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
            if (huge) madvise(p, size, MADV_HUGEPAGE);   // advice only: without THP the pages stay small
#endif
        }
        live.emplace(p, size);
        return p;
    }

    // False for a pointer this cache did not hand out.
    bool give(void* p) {
        std::lock_guard<std::mutex> lock(mutex);
        const auto it = live.find(p);
        if (it == live.end()) return false;
        const size_t size = it->second;
        live.erase(it);
        if (idleBytes + size <= kCachedBytes) {
            idle.emplace(size, p);
            idleBytes += size;
        } else {
            std::free(p);
        }
        return true;
    }
};

LargeBlocks& largeBlocks() {
    static LargeBlocks* blocks = new LargeBlocks;   // never destroyed: tensors may be freed during exit
    return *blocks;
}

c10::DeleterFnPtr smallDeleter = nullptr;

void release(void* p) {
    if (!p || largeBlocks().give(p)) return;
    smallDeleter(p);   // a block of LibTorch's own allocator (raw_allocate's callers free through raw_deleter)
}

class LargePageAllocator final : public c10::Allocator {
public:
    explicit LargePageAllocator(c10::Allocator* small) : small_(small) {}

    c10::DataPtr allocate(size_t bytes) const override {
        if (bytes < kLargeBlock) return small_->allocate(bytes);
        const size_t unit = bytes >= kHugePage ? kHugePage : kPage;
        void* p = largeBlocks().take((bytes + unit - 1) / unit * unit);
        return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
    }

    c10::DeleterFnPtr raw_deleter() const override { return &release; }

private:
    c10::Allocator* small_;
};

} // namespace

void useLargePagesForTensors() {
    static const bool installed = [] {
        c10::Allocator* small = c10::GetDefaultCPUAllocator();
        smallDeleter = small->raw_deleter();
        if (!smallDeleter) return false;   // cannot free the small blocks by pointer: keep LibTorch's allocator alone
        static LargePageAllocator allocator(small);
        c10::SetCPUAllocator(&allocator, /*priority=*/1);
        return true;
    }();
    (void)installed;
}

} // namespace headlight
