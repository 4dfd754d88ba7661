// libFuzzer: the tokenizer files. The first byte picks the format, the rest are the file(s):
//   0: tokenizer.json    1: vocab.json, a NUL byte, merges.txt    2: vocab.txt    3: vocab.json (characters)
// An input either loads (and then encodes and decodes a fixed text without error) or throws headlight::Error.
#include "fuzz_support.h"
#include "headlight/error.h"
#include "headlight/tokenizer.h"

#include <cstring>

namespace {

void clearScratch() {
    for (const char* name : {"tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer_config.json"})
        headlight::fuzz::removeScratch(name);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using headlight::fuzz::writeScratch;
    if (size < 1) return 0;
    const int format = data[0] % 4;
    ++data;
    --size;
    clearScratch();
    switch (format) {
    case 0: writeScratch("tokenizer.json", data, size); break;
    case 1: {
        const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
        const size_t vocabSize = nul ? static_cast<size_t>(nul - data) : size;
        writeScratch("vocab.json", data, vocabSize);
        writeScratch("merges.txt", nul ? nul + 1 : data + size, nul ? size - vocabSize - 1 : 0);
        break;
    }
    case 2: writeScratch("vocab.txt", data, size); break;
    default: writeScratch("vocab.json", data, size); break;
    }
    try {
        const auto tok = headlight::loadTokenizer(headlight::fuzz::scratchFolder());
        if (!tok) return 0;
        const auto ids = tok->encode("Hello, world! 123 \xC3\xA9t\xC3\xA9 ab", true);
        (void)tok->decode(ids);
        for (int64_t id : ids) (void)tok->tokenPiece(id);
    } catch (const headlight::Error&) {
    }
    return 0;
}
