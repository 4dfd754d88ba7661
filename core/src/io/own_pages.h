#pragma once
// Internal: memory of the process's own for a model's weights: anonymous pages, not a mapping of any file.
// Float32 tensors alias a file's bytes read into such pages (no copy at load), so those bytes must not change
// under the model: a shared view of the file (mmap of it, even MAP_PRIVATE, whose pages come from the file until
// written) turns a file truncated in place (`truncate`, a training script saving into the folder with open("wb"))
// into SIGBUS at the next forward pass, and one rewritten in place into different weights. Read once, the model
// is immune to what happens to the file.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace headlight {

class OwnPages {
public:
    // `size` writable bytes (training updates the tensors that alias them in place). From a huge-page boundary
    // with huge pages where the kernel gives them on request (MADV_HUGEPAGE): reading a file into them then takes
    // hundreds of page faults instead of 120 000 for a 500 MB model, which halved the load's system time here
    // (docs/robustness.md). Less than a huge page gets no slack: a checkpoint of 10,000 small shards reserves
    // what they hold, not 10,000 x 2 MiB. Throws headlight::Error naming `path` when the memory is not there.
    static std::shared_ptr<OwnPages> allocate(uint64_t size, const std::string& path);
    ~OwnPages();
    OwnPages(const OwnPages&) = delete;
    OwnPages& operator=(const OwnPages&) = delete;

    uint8_t* bytes() const { return bytes_; }

private:
    OwnPages() = default;
    void* addr_ = nullptr;     // as mmap returned it
    size_t size_ = 0;
    uint8_t* bytes_ = nullptr; // addr_ rounded up to a huge page
};

} // namespace headlight
