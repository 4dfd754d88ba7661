#pragma once
// The model the window shows and the runs on it. The engine lives on the job tracker's worker thread:
// loading and running happen there, the newest request wins, and results arrive as RunSnapshot values.
// Long analyses (importance, ablation, curves) run on a second worker so that typing never cancels them.
#include "analysis_spec.h"
#include "job_tracker.h"
#include "run_snapshot.h"

#include <QObject>
#include <QString>
#include <memory>
#include <vector>

namespace headlight {

struct RunSpec {
    QString modelDir;
    QString device = "cpu";
    QString text;
    std::vector<float> headMask;     // L*H, 1 = keep; empty = every head
    std::vector<int> contextBudget;  // per layer; empty = unlimited
    // The head the views show: a long input captures only its matrix (see ModelSession::capturesEveryHead).
    int focusLayer = 0;
    int focusHead = 0;
    // Reload the model when it is the loaded one but its files changed since it loaded (opening a folder
    // again); otherwise runs keep the loaded copy and report the change (modelFilesChanged).
    bool reloadChanged = false;
};

class Engine;

// What the views need to know about a loaded model (also used by the CLI's figure command).
std::shared_ptr<const ModelInfo> describeModel(const Engine& engine, const QString& dir);

class ModelSession : public QObject {
    Q_OBJECT
public:
    explicit ModelSession(QObject* parent = nullptr);
    ~ModelSession() override;

    // Loads the model when spec.modelDir or spec.device differs from the loaded one, then runs spec.text
    // (cut to the model's maximum length; the snapshot says how many tokens were dropped). With heads pruned,
    // the snapshot also carries the unpruned run of the same tokens (kept from the previous request when only
    // the mask changed) and their comparison; the engine then recomputes only the layers from the first one
    // whose mask changed.
    //
    // A run keeps every head's [T,T] only while they fit in kFullCaptureBytes; a longer input captures the
    // focused head alone and digests every head in the same pass (statistics and pooled pictures,
    // Trace::digests), and focus() brings in another head's exact matrix.
    void request(const RunSpec& spec);
    // The exact matrix of (layer, head) for a long run shown now (`shown`): that layer recomputed from the
    // input it saw (Engine::recaptureLayer), delivered as a snapshot whose trace captured that head. Falls back
    // to a run when the engine no longer keeps that run's activations.
    void focus(const RunSnapshot& shown, int layer, int head);
    // Whether a run of `tokens` tokens keeps every head of `config` (else: the focused head and digests).
    static bool capturesEveryHead(const ModelConfig& config, int64_t tokens);
    static constexpr int64_t kFullCaptureBytes = int64_t(512) << 20;
    // Pooled pictures of every head, at most this many cells a side (a screen shows no more).
    static constexpr int kPooledCells = 512;
    void cancel();
    JobTracker* jobs() { return &jobs_; }

    // Starts a background analysis (the newest analysis wins; runs do not cancel it). It uses the loaded engine
    // when spec names the same model and device, else loads its own.
    void analyze(const AnalysisSpec& spec);
    void cancelAnalysis();
    JobTracker* analysisJobs() { return &analysisJobs_; }

    // Devices the linked LibTorch can run on: "cpu", plus "cuda" when available.
    static QStringList availableDevices();

signals:
    void runFinished(const headlight::RunSnapshot& snapshot);
    // One line naming the file or the problem; `modelFailed` when the model itself could not be loaded
    // (the window then keeps the previous model).
    void runFailed(const QString& message, bool modelFailed);
    // After runFinished, when the model folder's files were removed or changed since the model loaded: one line
    // naming the first such file (the run used the loaded copy).
    void modelFilesChanged(const QString& message);
    void analysisFinished(const headlight::AnalysisResult& result);
    void analysisFailed(const QString& message);

private:
    struct Loaded;
    JobTracker jobs_;
    JobTracker analysisJobs_;
    std::shared_ptr<Loaded> loaded_;   // its engine is shared with analyses under its mutex
};

} // namespace headlight
