// libFuzzer: TRAIN.json with its task parameters (the seed corpus: the sample models' train.json files and
// the task names). An accepted config's task must make examples that fit its declared maxLength.
#include "headlight/error.h"
#include "headlight/tasks.h"
#include "headlight/training.h"

#include <cstdlib>
#include <random>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const headlight::TrainConfig config = headlight::TrainConfig::fromJson(text, "TRAIN.json");
        // Written back, it reads again (the trainer stores it in training.json this way).
        (void)headlight::TrainConfig::fromJson(config.toJson(), "training.json");
        const auto task = headlight::makeTask(config.task);
        if (task->maxLength() > 4096) return 0;   // valid but slow to sample; the bounds are tested elsewhere
        std::mt19937_64 rng(1);
        for (int i = 0; i < 4; ++i) {
            const headlight::TaskExample ex = task->sample(rng);
            if (static_cast<int>(ex.chars.size()) > task->maxLength() || ex.scored.size() + 1 != ex.chars.size()) std::abort();
        }
    } catch (const headlight::Error&) {
    }
    return 0;
}
