// libFuzzer: a tokenizer.json pipeline and a text for it. The input is the tokenizer.json, a NUL byte, then the
// text. The seeds are small pipelines with added tokens (special or not, lstrip/rstrip/single_word, normalized),
// normalizers and pre-tokenizers, so mutations reach the added-token automaton, the growth bounds and the
// regex checks with texts that hit them. An input either loads and encodes (every id a token of the
// vocabulary, decoding without error) or is refused with headlight::Error; anything else is a finding.
#include "fuzz_support.h"
#include "headlight/error.h"
#include "headlight/tokenizer.h"

#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
    const size_t jsonSize = nul ? static_cast<size_t>(nul - data) : size;
    const std::string text = nul ? std::string(reinterpret_cast<const char*>(nul + 1), size - jsonSize - 1) : std::string("Hello <s> world");
    headlight::fuzz::writeScratch("tokenizer.json", data, jsonSize);
    try {
        const auto tok = headlight::loadTokenizer(headlight::fuzz::scratchFolder());
        if (!tok) std::abort();   // the folder has a tokenizer.json: it loads or is refused
        for (bool special : {true, false}) {
            const auto ids = tok->encode(text, special);
            for (int64_t id : ids) {
                if (id < 0 || id >= tok->vocabSize()) std::abort();
                (void)tok->tokenPiece(id);
                (void)tok->tokenText(id);
            }
            (void)tok->decode(ids, true);
            (void)tok->decode(ids, false);
        }
    } catch (const headlight::Error&) {
    }
    return 0;
}
