#include "run_snapshot.h"

namespace headlight {

QString visibleToken(const std::string& utf8) {
    QString s = QString::fromStdString(utf8);
    s.replace(QLatin1Char(' '), QChar(0x2423));    // ␣
    s.replace(QLatin1Char('\n'), QChar(0x23CE));   // ⏎
    s.replace(QLatin1Char('\t'), QChar(0x21E5));   // ⇥
    s.replace(QLatin1Char('\r'), QStringLiteral("\\r"));
    return s;
}

QString RunSnapshot::vocabLabel(int64_t id) const {
    if (model && id >= 0 && id < static_cast<int64_t>(model->vocabulary.size()))
        return visibleToken(model->vocabulary[static_cast<size_t>(id)]);
    return QStringLiteral("#%1").arg(id);
}

QString RunSnapshot::tokenLabel(int i) const {
    if (!trace || i < 0 || i >= tokens()) return {};
    const auto& texts = trace->tokens;
    if (static_cast<size_t>(i) < texts.size() && !texts[static_cast<size_t>(i)].empty())
        return visibleToken(texts[static_cast<size_t>(i)]);
    return vocabLabel(trace->tokenIds[static_cast<size_t>(i)]);
}

AttentionBlock RunSnapshot::blockOf(int layer) const {
    if (!model || model->blocks.empty())
        return AttentionBlock{AttentionKind::Self, "", "L", 0, layers(), false, false, causal()};
    return blockOfRow(model->blocks, layer);
}

int RunSnapshot::queryCount(int layer) const { return blockOf(layer).sourceQueries ? sourceTokens() : tokens(); }

int RunSnapshot::keyCount(int layer) const { return blockOf(layer).sourceKeys ? sourceTokens() : tokens(); }

QString RunSnapshot::sourceLabel(int j) const {
    if (!trace || j < 0 || j >= sourceTokens()) return {};
    const auto& texts = trace->sourceTokens;
    if (static_cast<size_t>(j) < texts.size() && !texts[static_cast<size_t>(j)].empty())
        return visibleToken(texts[static_cast<size_t>(j)]);
    return QStringLiteral("#%1").arg(trace->sourceIds[static_cast<size_t>(j)]);
}

QString RunSnapshot::queryLabel(int layer, int i) const { return blockOf(layer).sourceQueries ? sourceLabel(i) : tokenLabel(i); }

QString RunSnapshot::keyLabel(int layer, int j) const { return blockOf(layer).sourceKeys ? sourceLabel(j) : tokenLabel(j); }

QString RunSnapshot::rowName(int layer) const {
    const AttentionBlock b = blockOf(layer);
    return QString::fromStdString(b.rowPrefix) + QString::number(b.layerOf(layer));
}

std::shared_ptr<const HeadSummaries> headSummaries(const RunSnapshot& snapshot) {
    if (!snapshot.valid()) return nullptr;
    if (snapshot.summaries && snapshot.summarized == snapshot.trace.get()) return snapshot.summaries;
    return std::make_shared<const HeadSummaries>(summarizeHeads(*snapshot.trace, snapshot.model->config));
}

void summarize(RunSnapshot& snapshot) {
    snapshot.summaries = snapshot.valid()
                             ? std::make_shared<const HeadSummaries>(summarizeHeads(*snapshot.trace, snapshot.model->config))
                             : nullptr;
    snapshot.summarized = snapshot.summaries ? snapshot.trace.get() : nullptr;
    snapshot.rollout = {};
    // Rollout multiplies one stack's [T,T] matrices; the three kinds of an encoder-decoder model are no one chain.
    if (!snapshot.valid() || snapshot.tokens() > kRolloutTokens || snapshot.encoderDecoder()) return;
    const ModelConfig& c = snapshot.model->config;
    for (int l = 0; l < c.nLayer; ++l) {
        const LayerTrace* lt = snapshot.trace->layer(l);
        if (!lt || static_cast<int>(lt->heads.size()) != c.nHead || lt->attention.rank() != 3) return;
    }
    snapshot.rollout = attentionRollout(*snapshot.trace, c);
}

} // namespace headlight
