#pragma once
// Internal: what Marian and BART share (transformers copies Marian's modules from BART): post-norm layers of
// self-attention, cross-attention (decoder) and a two-matrix MLP, each followed by its LayerNorm, q/k/v/out
// projections with biases, scores scaled by head_dim^-0.5, and logits from the decoder's (tied) embedding plus
// final_logits_bias. The two differ only in their positions and embedding norm (BartStyleSettings).
#include "families/encoder_decoder.h"

#include <memory>

namespace headlight {

class ConfigReader;

struct BartStyleSettings {
    bool sinusoidalPositions = false;   // Marian: sin | cos halves, from position 0; BART: a learned table
    int64_t positionOffset = 0;         // BART: rows 0 and 1 of its learned table are never used (offset 2)
    bool embeddingNorm = false;         // BART: layernorm_embedding after the embeddings
};

// The keys both read (sizes, activation, embedding scale, decoder start, pre-norm variants refused), with
// `decoderVocabKey` the key of the decoder's vocabulary when it may differ (Marian's decoder_vocab_size).
void readBartStyle(ConfigReader& r, ModelConfig& c, const char* decoderVocabKey);
std::unique_ptr<EncoderDecoderArchitecture> buildBartStyle(const ModelConfig& c, const BartStyleSettings& s);
// Marian's sinusoidal table [P,D]: column j < ceil(D/2) is sin(p / 10000^(2j/D)), the rest cos of the odd columns.
torch::Tensor sinusoidalPositions(int64_t positions, int64_t dims);

} // namespace headlight
