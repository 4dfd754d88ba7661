#include "io/own_pages.h"

#include "headlight/error.h"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>

namespace headlight {

std::shared_ptr<OwnPages> OwnPages::allocate(uint64_t size, const std::string& path) {
    constexpr size_t kHugePage = size_t(2) << 20;
    const size_t alignTo = size >= kHugePage ? kHugePage : 1;
    std::shared_ptr<OwnPages> pages(new OwnPages);
    pages->size_ = static_cast<size_t>(size) + alignTo - 1;
    void* addr = mmap(nullptr, pages->size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
        const int err = errno;
        throw Error(path, "cannot load: no memory left for its " + std::to_string(size) + " bytes (" + std::strerror(err) + ")");
    }
    pages->addr_ = addr;
    const auto start = (reinterpret_cast<uintptr_t>(addr) + alignTo - 1) & ~uintptr_t(alignTo - 1);
    pages->bytes_ = reinterpret_cast<uint8_t*>(start);
    if (alignTo == kHugePage) madvise(pages->bytes_, static_cast<size_t>(size), MADV_HUGEPAGE);
    return pages;
}

OwnPages::~OwnPages() {
    if (addr_ && size_) munmap(addr_, size_);
}

} // namespace headlight
