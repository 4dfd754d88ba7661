#pragma once
// The model the window shows and the runs on it. The engine lives on the job tracker's worker thread:
// loading and running happen there, the newest request wins, and results arrive as RunSnapshot values.
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
    // (cut to the model's maximum length; the snapshot says how many tokens were dropped).
    void request(const RunSpec& spec);
    void cancel();
    JobTracker* jobs() { return &jobs_; }

    // Devices the linked LibTorch can run on: "cpu", plus "cuda" when available.
    static QStringList availableDevices();

signals:
    void runFinished(const headlight::RunSnapshot& snapshot);
    // One line naming the file or the problem; `modelFailed` when the model itself could not be loaded
    // (the window then keeps the previous model).
    void runFailed(const QString& message, bool modelFailed);

private:
    struct Loaded;
    JobTracker jobs_;
    std::shared_ptr<Loaded> loaded_;   // touched only on the worker thread
};

} // namespace headlight
