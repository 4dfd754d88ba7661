#include "analysis_spec.h"
#include "headlight/mechanisms/selective_attention.h"

#include "headlight/error.h"
#include "headlight/session.h"

#include <QFileInfo>

namespace headlight {

TaskParams modelTask(const QString& modelDir) { return trainedTask(modelDir.toStdString()); }

namespace {

ExampleSet examplesFor(const Engine& engine, const AnalysisSpec& spec) {
    switch (spec.source) {
    case AnalysisSource::Text: return ExampleSet::fromText(engine, spec.text.toStdString());
    case AnalysisSource::File: return ExampleSet::fromFile(engine, spec.file.toStdString());
    case AnalysisSource::Task: break;
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
