#pragma once
// `run` for an encoder-decoder model (Marian, BART, T5): the source (--text or --ids) through the encoder, the
// decoder input (--decoder-ids as given, the decoder start token followed by --target's tokens: teacher forcing,
// or the model's own greedy translation with --translate) through the decoder, a JSON summary on stdout and optionally the HDF5 trace with all three kinds of
// attention (docs/trace-format.md).
#include "cli_args.h"

#include "headlight/engine.h"
#include "headlight/output_files.h"

#include <string>

namespace headlight::cli {

// The decoder's input from --decoder-ids, --target or --translate (greedy decoding of `sourceIds`, at most
// --max-new-tokens, 64 by default); the start token alone when none is given. Error naming the argument.
std::vector<int64_t> decoderInput(const Args& a, const Engine& engine, const std::vector<int64_t>& sourceIds);
// `outputs`: null, or the command's files with --out among them.
int runEncoderDecoder(const Args& a, const Engine& engine, OutputFiles* outputs);

} // namespace headlight::cli
