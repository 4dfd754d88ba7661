// libFuzzer: config.json of every family (the seed corpus holds one of each model_type). An input either
// reads as a config whose toJson() reads back to the same config, or throws headlight::Error.
#include "headlight/error.h"
#include "headlight/model_config.h"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    headlight::ModelConfig config;
    try {
        config = headlight::ModelConfig::fromJson(text, "config.json");
    } catch (const headlight::Error&) {
        return 0;
    }
    // What we accepted we must be able to write and read back: an Error here is a finding too.
    const std::string written = config.toJson();
    const headlight::ModelConfig again = headlight::ModelConfig::fromJson(written, "config.json (written back)");
    if (again.toJson() != written) std::abort();
    return 0;
}
