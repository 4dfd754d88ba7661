#pragma once
// Long pruning analyses the app runs in the background (head importance, single-head ablation, pruning
// curves, the loss-versus-memory curve of selective models): what to compute and what came back.
#include "pruning_curve_plot.h"

#include "headlight/array.h"
#include "headlight/pruning.h"
#include "headlight/training.h"

#include <QMetaType>
#include <QString>
#include <vector>

namespace headlight {

enum class AnalysisKind { Importance, Ablation, Curves, MemoryCurve };
// Where the examples come from: the text on screen, the model's own training task (training.json in its
// folder), or a text file with one example per line.
enum class AnalysisSource { Text, Task, File };

struct AnalysisSpec {
    AnalysisKind kind = AnalysisKind::Importance;
    QString modelDir;
    QString device = QStringLiteral("cpu");
    AnalysisSource source = AnalysisSource::Text;
    QString text;                       // AnalysisSource::Text (an encoder-decoder model's source)
    QString target;                     // AnalysisSource::Text of an encoder-decoder model: the target on screen
    QString file;                       // AnalysisSource::File
    int examples = 200;                 // AnalysisSource::Task (and the memory curve)
    quint64 seed = 1000003;
    std::vector<float> headMask;        // heads already pruned stay pruned; empty = none
    std::vector<PruneOrder> orders;     // AnalysisKind::Curves: one curve each
    double stepPercent = 10;            // AnalysisKind::Curves
    int selectorHead = -1;              // >= 0: the model with zero-shot selective attention (RunSpec)
};

struct AnalysisResult {
    AnalysisKind kind = AnalysisKind::Importance;
    QString modelDir;
    QString source;                     // ExampleSet::description, for titles
    FloatArray importance;              // [L,H] Importance
    FloatArray ablationDeltaLoss;       // [L,H] Ablation
    double baselineLoss = 0;            // Ablation: the loss the deltas are measured from
    std::vector<CurveSeries> curves;    // Curves
    std::vector<BudgetStep> memoryCurve;// MemoryCurve: the unpruned model first
};

// The training task of a model folder (its training.json, else train.json). Throws headlight::Error naming the
// folder when it has neither.
TaskParams modelTask(const QString& modelDir);
// Runs `spec` on `engine` (any thread). `progress` gets fractions in [0,1]; returning false cancels (Cancelled).
AnalysisResult runAnalysis(const Engine& engine, const AnalysisSpec& spec, const AnalysisProgress& progress);

} // namespace headlight

Q_DECLARE_METATYPE(headlight::AnalysisResult)
