#include "attention/recycled_pictures.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace headlight {
namespace {

struct Pool {
    std::mutex mutex;
    std::unordered_map<size_t, std::vector<void*>> free;   // by size in bytes
    size_t held = 0;
};

// Never destroyed: a Trace may be freed after static destruction began (its pictures then come back here).
Pool& pool() {
    static Pool* p = new Pool;
    return *p;
}

void* take(size_t bytes) {
    Pool& p = pool();
    const std::lock_guard<std::mutex> lock(p.mutex);
    auto found = p.free.find(bytes);
    if (found == p.free.end() || found->second.empty()) return nullptr;
    void* block = found->second.back();
    found->second.pop_back();
    p.held -= bytes;
    return block;
}

void giveBack(void* block, size_t bytes) {
    Pool& p = pool();
    {
        const std::lock_guard<std::mutex> lock(p.mutex);
        if (p.held + bytes <= kRecycledBytes) {
            p.free[bytes].push_back(block);
            p.held += bytes;
            return;
        }
    }
    std::free(block);
}

} // namespace

torch::Tensor zeroedPicture(int64_t H, int64_t C, const torch::Device& device) {
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
    const size_t bytes = static_cast<size_t>(H * C * C) * sizeof(float);
    if (!device.is_cpu() || bytes == 0) return torch::zeros({H, C, C}, f32);
    void* block = take(bytes);
    if (!block) block = std::aligned_alloc(64, (bytes + 63) / 64 * 64);   // LibTorch's CPU alignment
    if (!block) throw std::bad_alloc();
    std::memset(block, 0, bytes);
    return torch::from_blob(block, {H, C, C}, [bytes](void* b) { giveBack(b, bytes); }, f32);
}

size_t recycledPictureBytes() {
    Pool& p = pool();
    const std::lock_guard<std::mutex> lock(p.mutex);
    return p.held;
}

} // namespace headlight
