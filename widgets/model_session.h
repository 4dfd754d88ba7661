#pragma once
// The model the window shows and the runs on it, on the job tracker's worker thread: a core Session
// (headlight/session.h) decides what a run means (encoding, the cut to the model's length, the capture of long
// inputs, the unpruned run a what-if compares with); here it loads and runs there, the newest request wins, and
// results arrive as RunSnapshot values with every head summarized. Long analyses (importance, ablation, curves)
// run on a second worker so that typing never cancels them.
#include "analysis_spec.h"
#include "job_tracker.h"
#include "run_snapshot.h"

#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <vector>

namespace headlight {

struct RunSpec {
    QString modelDir;
    QString device = "cpu";
    QString text;
    // An encoder-decoder model's target text (teacher forcing: the decoder reads its start token, then these
    // tokens); `text` is then the source.
    QString target;
    std::vector<float> headMask;     // rows x H of the attention stack (headlight/attention_stack.h), 1 = keep; empty = every head
    std::vector<int> contextBudget;  // per layer; empty = unlimited
    // The head the views show: a long input captures only its matrix (headlight/session.h, planCapture).
    int focusLayer = 0;
    int focusHead = 0;
    // Reload the model when it is the loaded one but its files changed since it loaded (opening a folder
    // again); otherwise runs keep the loaded copy and report the change (modelFilesChanged).
    bool reloadChanged = false;
    // >= 0: the model with zero-shot selective attention, this selector head in every layer (LoadOptions).
    int selectorHead = -1;
};

class Engine;

// What ModelSession::inspect computed for one run.
struct InspectResult {
    std::shared_ptr<const Trace> trace;                  // the run it belongs to
    std::shared_ptr<const LogitLens> lens;               // null when the request did not ask for it
    std::shared_ptr<const Attribution> attribution;      // null without a position
};

// The logit lens of `snapshot`'s run (when `lens`) and the attribution of the top prediction at `position` (when
// >= 0), computed here on this thread: ModelSession::inspect's work, and the CLI's figures. `cancelled` is
// polled between layers (it may throw to stop).
InspectResult inspectRun(const Engine& engine, const RunSnapshot& snapshot, bool lens, int position,
                         const std::function<void()>& checkCancelled = {});

// What the views need to know about a loaded model (also used by the CLI's figure command).
std::shared_ptr<const ModelInfo> describeModel(const Engine& engine, const QString& dir);

class ModelSession : public QObject {
    Q_OBJECT
public:
    explicit ModelSession(QObject* parent = nullptr);
    ~ModelSession() override;

    // Loads the model when spec.modelDir or spec.device differs from the loaded one, then runs spec.text
    // (Session::run: cut to the model's maximum length, the snapshot says how many tokens were dropped; with
    // heads pruned, the unpruned run of the same tokens and their comparison come with it). A long input
    // captures the focused head alone and digests every head in the same pass; focus() brings in another.
    void request(const RunSpec& spec);
    // The exact matrix of spec's focused head for the long run shown now (`shown`): that layer recomputed from
    // the input it saw (Session::recapture), delivered as a snapshot whose trace captured that head. Falls back
    // to running spec when the engine no longer keeps that run's activations.
    void focus(const RunSnapshot& shown, const RunSpec& spec);
    // An encoder-decoder model's greedy translation of spec.text (Session::translate), on the run worker: a
    // run asked for after it replaces it. translated() delivers the target text.
    void translate(const RunSpec& spec, int maxNewTokens = 64);
    void cancel();
    JobTracker* jobs() { return &jobs_; }

    // Starts a background analysis (the newest analysis wins; runs do not cancel it). It uses the loaded engine
    // when spec names the same model and device, else loads its own.
    void analyze(const AnalysisSpec& spec);
    void cancelAnalysis();
    JobTracker* analysisJobs() { return &analysisJobs_; }

    // The logit lens of `shown`'s run (when `lens`) and the direct logit attribution of the model's top
    // prediction at `position` (when >= 0), on their own worker (the newest request wins; runs do not cancel it).
    void inspect(const RunSnapshot& shown, bool lens, int position);
    JobTracker* inspectJobs() { return &inspectJobs_; }

    // Devices the linked LibTorch can run on: "cpu", plus "cuda" when available.
    static QStringList availableDevices();

signals:
    void runFinished(const headlight::RunSnapshot& snapshot);
    // One line naming the file or the problem; `modelFailed` when the model itself could not be loaded
    // (the window then keeps the previous model).
    void runFailed(const QString& message, bool modelFailed);
    void translated(const QString& target);
    // After runFinished, when the model folder's files were removed or changed since the model loaded: one line
    // naming the first such file (the run used the loaded copy).
    void modelFilesChanged(const QString& message);
    void analysisFinished(const headlight::AnalysisResult& result);
    void analysisFailed(const QString& message);
    void inspected(const headlight::InspectResult& result);
    void inspectFailed(const QString& message);

private:
    struct Loaded;
    JobTracker jobs_;
    JobTracker analysisJobs_;
    JobTracker inspectJobs_;
    std::shared_ptr<Loaded> loaded_;   // its engine is shared with analyses under its mutex
};

} // namespace headlight

Q_DECLARE_METATYPE(headlight::InspectResult)
