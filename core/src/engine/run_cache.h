#pragma once
// Internal: the one previous-run cache. The engine keeps what its newest run saw (the input of every layer),
// what it exported, and the newest run of the same input with no head pruned: a what-if that changes only the
// head mask recomputes from the first layer whose mask row changed, a long run's other heads are captured from
// the kept inputs of their layer, and the Session compares a pruned run with the kept unpruned one.
#include "headlight/engine.h"

#include <memory>
#include <mutex>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

// One run, immutable once kept, so a run may use it while another thread replaces it.
struct KeptRun {
    std::vector<int64_t> tokenIds;          // the key: tokens, context budget and capture
    std::vector<int> contextBudget;
    CaptureSpec capture;
    std::vector<float> mask;                // L*H, the mask used (all ones when the request had none)
    std::vector<torch::Tensor> residuals;   // L+1 of [1,T,D] on the device: the input of layer l; [L] feeds the final norm
    std::vector<LayerTrace> layers;         // per layer, its exported capture (shares storage with that trace)
    std::vector<LayerDigest> digests;       // per layer when the capture digests heads, else empty
    std::vector<FloatArray> roleScores;     // per layer when the capture measures head roles, else empty
    torch::Tensor maskTensor;               // the run's head mask as it was passed (undefined: none)
    // The newest run of this input with no head pruned (this run, or one before it that differed only in its
    // mask); null when none was made since the input last changed.
    std::shared_ptr<const Trace> unpruned;

    bool sameInput(const RunRequest& r) const;
    // The first layer whose mask row differs from `other`'s, L when none does. Bitwise: a row that compares
    // equal must give the same bits.
    int firstChangedLayer(const std::vector<float>& other, int L, int H) const;
};

class RunCache {
public:
    // The kept run when it is of `request`'s input (its head mask aside), else null.
    std::shared_ptr<const KeptRun> matching(const RunRequest& request) const;
    std::shared_ptr<const KeptRun> newest() const;
    // Keeps `run` (replacing the newest) unless keeping was switched off meanwhile.
    void keep(std::shared_ptr<const KeptRun> run);
    // Off: nothing is kept, and what was kept is freed.
    void setEnabled(bool enabled);
    bool enabled() const;

private:
    mutable std::mutex mutex_;   // guards the pointer; the object is immutable
    std::shared_ptr<const KeptRun> run_;
    bool enabled_ = true;
};

} // namespace headlight
