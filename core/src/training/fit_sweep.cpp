// A lambda sweep: one fit per lambda from the same start, then the importance-order pruning curve of the
// original model on the same held-out examples (Voita et al.'s "BLEU vs heads kept" beside Michel et al.'s
// pruning), written as sweep.csv and sweep.h5.
#include "headlight/fitting.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/output_folder.h"
#include "headlight/result_file.h"
#include "headlight/session.h"
#include "io/atomic_file.h"
#include "io/json_util.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace headlight {
namespace {

// Whether `dir` holds a fit that ran all its steps (its training record says so and no checkpoint is newer).
bool finishedFit(const std::string& dir, int steps) {
    const std::string record = dir + "/training.json";
    if (!pathExists(record)) return false;
    const nlohmann::json j = jsonutil::parse(jsonutil::readTextFile(record), record);
    return j.is_object() && j.contains("steps_done") && j.at("steps_done").is_number_integer() && j.at("steps_done").get<int>() >= steps;
}

// Heads pruned per curve step: one at a time for small models (every point of the curve), else 5%.
double pruningStepPercent(const ModelConfig& c) {
    const int heads = c.nLayer * c.nHead;
    return heads <= 64 ? 100.0 / heads : 5.0;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

void writeCsv(const std::string& path, const FitSweep& s, int heads) {
    std::ostringstream out;
    out << "curve,lambda,heads_kept,heads,held_out_loss,held_out_accuracy,mean_span,flops_saved,model\n";
    for (const SweepPoint& p : s.points)
        out << "fit," << number(p.lambda) << "," << p.score.headsKept << "," << heads << "," << number(p.score.fitted.loss) << ","
            << number(p.score.fitted.metric) << "," << number(p.score.meanSpan) << "," << number(p.score.flopsSaved) << ","
            << p.modelDir << "\n";
    for (const CurveStep& step : s.pruning.steps)
        out << "importance,," << heads - step.headsPruned << "," << heads << "," << number(step.score.loss) << ","
            << number(step.score.metric) << ",,,\n";
    writeFileAtomically(path, out.str());
}

void writeHdf5(const std::string& path, const FitSweep& s, const FitConfig& f, const std::string& data, int heads) {
    ResultFile r;
    const int64_t P = static_cast<int64_t>(s.points.size()), S = static_cast<int64_t>(s.pruning.steps.size());
    std::vector<float> lambda, loss, accuracy, meanSpan, flopsSaved, pruneLoss, pruneAccuracy;
    std::vector<int32_t> kept, pruneKept;
    for (const SweepPoint& p : s.points) {
        lambda.push_back(static_cast<float>(p.lambda));
        kept.push_back(p.score.headsKept);
        loss.push_back(static_cast<float>(p.score.fitted.loss));
        accuracy.push_back(static_cast<float>(p.score.fitted.metric));
        meanSpan.push_back(static_cast<float>(p.score.meanSpan));
        flopsSaved.push_back(static_cast<float>(p.score.flopsSaved));
    }
    for (const CurveStep& step : s.pruning.steps) {
        pruneKept.push_back(heads - step.headsPruned);
        pruneLoss.push_back(static_cast<float>(step.score.loss));
        pruneAccuracy.push_back(static_cast<float>(step.score.metric));
    }
    r.floats["lambda"] = FloatArray({P}, lambda);
    r.ints["heads_kept"] = NdArray<int32_t>({P}, kept);
    r.floats["held_out_loss"] = FloatArray({P}, loss);
    r.floats["held_out_accuracy"] = FloatArray({P}, accuracy);
    r.floats["mean_span"] = FloatArray({P}, meanSpan);
    r.floats["flops_saved"] = FloatArray({P}, flopsSaved);
    r.ints["pruning_heads_kept"] = NdArray<int32_t>({S}, pruneKept);
    r.floats["pruning_loss"] = FloatArray({S}, pruneLoss);
    r.floats["pruning_accuracy"] = FloatArray({S}, pruneAccuracy);
    r.attributes["model"] = f.modelDir;
    r.attributes["mechanism"] = f.mechanism;
    r.attributes["data"] = data;
    r.attributes["pruning_order"] = "importance";
    writeResultHdf5(path, r);
}

} // namespace

std::string sweepFolderName(double lambda) { return "lambda-" + number(lambda); }

FitSweep fitSweep(const FitConfig& f, const std::vector<double>& lambdas, const std::string& outDir, bool resume,
                  const std::function<void(size_t, const TrainProgress&)>& progress, const std::atomic<bool>* stop) {
    // Everything checked before the folder exists: each lambda's fit, distinct folders, the output folder.
    if (lambdas.empty()) throw Error("--lambda-sweep", "lists no lambda");
    std::set<std::string> names;
    for (double lambda : lambdas) {
        FitConfig one = f;
        one.lambda = lambda;
        one.trainConfig();
        if (!names.insert(sweepFolderName(lambda)).second) throw Error("--lambda-sweep", "lists " + number(lambda) + " twice");
    }
    checkModelOutputFolder(outDir, {{"model", f.modelDir}}, /*resuming=*/true);
    if (!resume && !modelFileIn(outDir).empty()) throw Error(outDir, "holds a model; choose another --out");
    if (!resume && std::filesystem::is_directory(outDir) && !std::filesystem::is_empty(outDir))
        throw Error(outDir, "is not empty; choose another --out, or pass --resume to continue a sweep");
    ModelOutputFolder folder(outDir);
    folder.create();

    FitSweep sweep;
    for (size_t i = 0; i < lambdas.size(); ++i) {
        FitConfig one = f;
        one.lambda = lambdas[i];
        SweepPoint p;
        p.lambda = lambdas[i];
        p.modelDir = outDir + "/" + sweepFolderName(lambdas[i]);
        const TrainConfig run = one.trainConfig();
        if (!(resume && finishedFit(p.modelDir, run.steps))) {
            const bool continuing = resume && pathExists(p.modelDir + "/checkpoint/state.json");
            const TrainResult r = train(run, p.modelDir, continuing,
                                        [&](const TrainProgress& t) { if (progress) progress(i, t); }, stop);
            folder.keep();   // a fit's checkpoint is worth keeping from here on
            if (r.interrupted) {
                sweep.interrupted = true;
                return sweep;
            }
        }
        folder.keep();
        p.score = scoreFit(one, p.modelDir);
        sweep.points.push_back(p);
    }

    const Session original(f.modelDir, LoadOptions{f.device, f.dtype, std::nullopt});
    const ExampleSet data = heldOutExamples(f, original.engine());
    CurveOptions options;
    options.order = PruneOrder::Importance;
    options.stepPercent = pruningStepPercent(original.engine().config());
    sweep.pruning = pruningCurve(original.engine(), data, options);
    const int heads = original.engine().config().nLayer * original.engine().config().nHead;
    writeCsv(outDir + "/sweep.csv", sweep, heads);
    writeHdf5(outDir + "/sweep.h5", sweep, f, data.description, heads);
    return sweep;
}

} // namespace headlight
