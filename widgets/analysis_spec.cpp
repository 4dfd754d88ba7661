#include "analysis_spec.h"
#include "headlight/mechanisms/selective_attention.h"

#include "typed_token_ids.h"

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/objective.h"
#include "headlight/session.h"
#include "headlight/tokenizer.h"

#include <QFileInfo>

namespace headlight {

TaskParams modelTask(const QString& modelDir) { return trainedTask(modelDir.toStdString()); }

namespace {

// A model without a tokenizer runs the token ids typed in the text box: one example, every next token scored.
ExampleSet typedIdExamples(const Engine& engine, const QString& text) {
    const ModelConfig& c = engine.config();
    std::vector<int64_t> ids = parseTypedTokenIds(text, c.vocabSize);
    if (objectiveOf(c) != Objective::NextToken) throw Error("token ids", "a masked-token model needs a tokenizer to mask tokens with");
    if (static_cast<int64_t>(ids.size()) > c.nPositions) ids.resize(static_cast<size_t>(c.nPositions));   // as the run cut them
    if (ids.size() < 2) throw Error("token ids", "need at least two (one to predict from, one to predict)");
    ExampleSet set;
    const std::vector<uint8_t> everyPosition(ids.size() - 1, 1);
    set.add(nextTokenExample(std::move(ids), everyPosition));
    set.description = "token ids: " + text.toStdString();
    return set;
}

// An encoder-decoder model's pair on screen, cut as the run cut it (Session::run: each side to n_positions).
ExampleSet translationExamples(const Engine& engine, const QString& source, const QString& target) {
    const ModelConfig& c = engine.config();
    if (source.isEmpty()) throw Error("source", "is empty: type the text the encoder reads");
    if (target.isEmpty()) throw Error("target", "is empty: type the translation, or press Translate");
    std::vector<int64_t> sourceIds = engine.encode(source.toStdString());
    std::vector<int64_t> ids = {c.encoderDecoder->decoderStartTokenId};
    for (int64_t id : engine.encodeTarget(target.toStdString())) ids.push_back(id);
    if (static_cast<int64_t>(sourceIds.size()) > c.nPositions) sourceIds.resize(static_cast<size_t>(c.nPositions));
    if (static_cast<int64_t>(ids.size()) > c.nPositions) ids.resize(static_cast<size_t>(c.nPositions));
    ExampleSet set;
    const std::vector<uint8_t> everyPosition(ids.size() - 1, 1);
    set.add(nextTokenExample(std::move(ids), everyPosition));
    set.sources.push_back(std::move(sourceIds));
    set.description = "translation: " + source.toStdString() + " -> " + target.toStdString();
    return set;
}

ExampleSet examplesFor(const Engine& engine, const AnalysisSpec& spec) {
    switch (spec.source) {
    case AnalysisSource::Text:
        if (!engine.tokenizer() || !engine.tokenizer()->canEncode()) return typedIdExamples(engine, spec.text);
        if (engine.config().isEncoderDecoder()) return translationExamples(engine, spec.text, spec.target);
        return ExampleSet::fromText(engine, spec.text.toStdString());
    case AnalysisSource::File: return ExampleSet::fromFile(engine, spec.file.toStdString());
    case AnalysisSource::Task:
        if (engine.config().isEncoderDecoder())
            throw Error(spec.modelDir.toStdString(), "was not trained on a task here: measure a translation model on the pair on "
                                                     "screen or on a file of SOURCE<tab>TARGET lines");
        break;
    }
    return ExampleSet::fromTask(engine, modelTask(spec.modelDir), spec.examples, spec.seed);
}

CurveSeries seriesOf(const PruningCurve& curve, PruneOrder order) {
    CurveSeries s;
    s.name = QString::fromStdString(pruneOrderName(order));
    for (const CurveStep& step : curve.steps) {
        s.fractionPruned.push_back(step.fractionPruned);
        s.metric.push_back(step.score.metric);
        s.loss.push_back(step.score.loss);
    }
    return s;
}

// Progress of part `index` of `count` equal parts.
AnalysisProgress part(const AnalysisProgress& progress, size_t index, size_t count) {
    if (!progress) return {};
    return [progress, index, count](double f) { return progress((static_cast<double>(index) + f) / static_cast<double>(count)); };
}

} // namespace

AnalysisResult runAnalysis(const Engine& engine, const AnalysisSpec& spec, const AnalysisProgress& progress) {
    AnalysisResult result;
    result.kind = spec.kind;
    result.modelDir = spec.modelDir;
    if (spec.kind == AnalysisKind::MemoryCurve) {
        if (!engine.config().mechanism<SelectiveAttentionConfig>()) throw Error(spec.modelDir.toStdString(), "has no selective attention, so there is no memory curve");
        const TaskParams params = modelTask(spec.modelDir);
        const auto task = makeTask(params);
        result.source = QStringLiteral("task %1, %2 examples").arg(QString::fromStdString(params.name)).arg(spec.examples);
        result.memoryCurve = contextMemoryCurve(engine, *task, spec.examples, spec.seed, progress);
        return result;
    }
    const ExampleSet data = examplesFor(engine, spec);
    result.source = QString::fromStdString(data.description);
    switch (spec.kind) {
    case AnalysisKind::Importance:
        result.importance = headImportance(engine, data, spec.headMask, false, progress);
        break;
    case AnalysisKind::Ablation: {
        const Ablation a = ablateHeads(engine, data, spec.headMask, progress);
        result.ablationDeltaLoss = a.deltaLoss;
        result.baselineLoss = a.baseline.loss;
        break;
    }
    case AnalysisKind::Curves: {
        if (spec.orders.empty()) throw Error("pruning curves", "choose at least one order");
        for (size_t i = 0; i < spec.orders.size(); ++i) {
            CurveOptions options;
            options.order = spec.orders[i];
            options.stepPercent = spec.stepPercent;
            options.seed = spec.seed;
            options.headMask = spec.headMask;
            result.curves.push_back(seriesOf(pruningCurve(engine, data, options, part(progress, i, spec.orders.size())), spec.orders[i]));
        }
        break;
    }
    case AnalysisKind::MemoryCurve: break;
    }
    return result;
}

} // namespace headlight
