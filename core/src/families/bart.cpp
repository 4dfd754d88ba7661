// BART (Lewis et al. 2020; transformers' modeling_bart.py): post-norm encoder and decoder, learned positions whose
// table starts at row 2 (its offset), a LayerNorm on the embeddings of each stack, and the tied output layer
// plus final_logits_bias.
#include "families/bart_style.h"
#include "checkpoint/config_reader.h"

namespace headlight {
namespace {

void readBart(ConfigReader& r, ModelConfig& c) {
    readBartStyle(r, c, nullptr);
}

std::unique_ptr<EncoderDecoderArchitecture> buildBart(const ModelConfig& c) {
    BartStyleSettings s;
    s.positionOffset = 2;
    s.embeddingNorm = true;
    return buildBartStyle(c, s);
}

} // namespace

const Family& bartFamily() {
    static const Family f = [] {
        Family g{{"bart"}, readBart, nullptr, buildBart};
        g.traits.positions = "learned absolute";
        g.traits.mlpMatrices = 2;
        return g;
    }();
    return f;
}

} // namespace headlight
