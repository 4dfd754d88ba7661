// Marian (MarianMT, the opus-mt models; transformers' modeling_marian.py): BART's layers with sinusoidal
// positions, token embeddings scaled by sqrt(d_model), no embedding norm, and a target vocabulary of its own when
// the encoder's and decoder's embeddings are separate (share_encoder_decoder_embeddings: false).
#include "families/bart_style.h"
#include "checkpoint/config_reader.h"

namespace headlight {
namespace {

void readMarian(ConfigReader& r, ModelConfig& c) {
    readBartStyle(r, c, "decoder_vocab_size");
}

std::unique_ptr<EncoderDecoderArchitecture> buildMarian(const ModelConfig& c) {
    BartStyleSettings s;
    s.sinusoidalPositions = true;
    return buildBartStyle(c, s);
}

} // namespace

const Family& marianFamily() {
    static const Family f = [] {
        Family g{{"marian"}, readMarian, nullptr, buildMarian};
        g.traits.positions = "sinusoidal";
        g.traits.mlpMatrices = 2;
        return g;
    }();
    return f;
}

} // namespace headlight
