#include "engine/run_cache.h"

#include <cstring>

namespace headlight {
namespace {

bool sameCapture(const CaptureSpec& a, const CaptureSpec& b) {
    return a.enabled == b.enabled && a.layers == b.layers && a.heads == b.heads && a.logits == b.logits &&
           a.headStats == b.headStats && a.pooledSize == b.pooledSize && a.roles == b.roles && a.rareKeys == b.rareKeys;
}

} // namespace

bool KeptRun::sameInput(const RunRequest& r) const {
    return tokenIds == r.tokenIds && contextBudget == r.contextBudget && sameCapture(capture, r.capture);
}

int KeptRun::firstChangedLayer(const std::vector<float>& other, int L, int H) const {
    for (int l = 0; l < L; ++l)
        if (std::memcmp(mask.data() + static_cast<size_t>(l) * static_cast<size_t>(H),
                        other.data() + static_cast<size_t>(l) * static_cast<size_t>(H), sizeof(float) * static_cast<size_t>(H)) != 0)
            return l;
    return L;
}

std::shared_ptr<const KeptRun> RunCache::matching(const RunRequest& request) const {
    auto run = newest();
    return run && run->sameInput(request) ? run : nullptr;
}

std::shared_ptr<const KeptRun> RunCache::newest() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return run_;
}

void RunCache::keep(std::shared_ptr<const KeptRun> run) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (enabled_) run_ = std::move(run);
}

void RunCache::setEnabled(bool enabled) {
    std::lock_guard<std::mutex> lock(mutex_);
    enabled_ = enabled;
    if (!enabled) run_.reset();   // frees the kept activations
}

bool RunCache::enabled() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return enabled_;
}

} // namespace headlight
