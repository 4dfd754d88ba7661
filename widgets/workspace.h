#pragma once
// The document the window shows: which model is open (and which was asked for last), on which device, the text,
// the head mask and context budget of the what-if, the analyses' head scores and a preset waiting for them.
// Every change becomes a run request to the ModelSession (the newest wins); results come back as signals. The
// main window keeps the docks, menus and status bar, and turns these signals into what it shows.
#include "analysis_spec.h"
#include "head_selection.h"
#include "run_snapshot.h"
#include "what_if_preset.h"

#include <QObject>
#include <QString>
#include <memory>
#include <vector>

namespace headlight {

class HeadSelection;
class ModelSession;
struct RunSpec;

class Workspace : public QObject {
    Q_OBJECT
public:
    // `selection`'s current head is the one a long run captures exactly.
    explicit Workspace(HeadSelection* selection, QObject* parent = nullptr);

    ModelSession* session() const { return session_; }
    // The run on screen, with the scores of the newest analysis attached (invalid before the first run).
    const RunSnapshot& snapshot() const { return snapshot_; }
    const QString& modelDir() const { return modelDir_; }           // the model on screen
    const QString& requestedDir() const { return requestedDir_; }   // the model of the newest request
    const QString& modelDevice() const { return modelDevice_; }     // the device the model on screen runs on
    const QString& text() const { return text_; }
    // An encoder-decoder model's target text, which runs take with the text (the source); runs nothing by itself.
    const QString& target() const { return target_; }
    void setTarget(const QString& target) { target_ = target; }
    // The model's greedy translation of the text (an encoder-decoder model on screen): translationShown() gives
    // the target it wrote, which then runs with the text.
    void translate(const QString& text);
    const QString& device() const { return device_; }
    const std::vector<float>& headMask() const { return headMask_; }   // L*H, 1 = keep; empty = none pruned
    const std::vector<int>& contextBudget() const { return contextBudget_; }
    const std::shared_ptr<const HeadScores>& scores() const { return scores_; }

    // The device runs ask for; runs nothing by itself.
    void setDevice(const QString& device) { device_ = device; }
    // Zero-shot selective attention (LoadOptions::selectorHead) for the runs asked for next, with this selector
    // head in every layer; -1 turns it off. Runs nothing by itself; the model reloads at the next run. Opening
    // another model turns it off; a load that fails puts back the one on screen.
    void setZeroShotSelective(int selectorHead) { selectorHead_ = selectorHead; }
    int zeroShotSelective() const { return selectorHead_; }

    // Opens a model folder and runs `text` on it (head mask and budget cleared; files that changed since it
    // loaded are read again).
    void open(const QString& dir, const QString& text);
    // Runs `text` on the model asked for last (its mask and budget kept while it is the one on screen).
    void run(const QString& text);
    // Runs the current text again, e.g. after a device change.
    void rerun() { run(text_); }
    void setContextBudget(std::vector<int> budget);
    void setHeadMask(std::vector<float> mask);
    void togglePruned(int layer, int head);
    // Several heads as one what-if: all pruned when any of them is not, else all restored (one run).
    void togglePrunedHeads(const QList<HeadRef>& heads);
    // The presets; the importance ones compute importance on this text first when no analysis has yet.
    void applyPreset(WhatIfPreset preset, int k);
    // A background analysis of the model on screen, with its head mask and device.
    void startAnalysis(AnalysisSpec spec);
    void cancelAnalysis();
    // A long run shown holds one head's exact matrix: asks for the current head's when it lacks it.
    void focusCurrentHead();
    // The logit lens of the run on screen (unless it has it) and the attribution at `position` (-1: the last
    // token) unless it has that one, computed on the worker; inspectionShown() delivers them.
    void inspect(bool lens, bool attribution, int position);

signals:
    // A run arrived and is now on screen; `newModel` when it is another model (or the same folder reloaded).
    void runShown(const headlight::RunSnapshot& snapshot, bool newModel);
    // A run or load failed; after a failed load the model on screen stays, on the device it ran on.
    void runFailed(const QString& message, bool modelFailed);
    // The model folder's files changed or went away since it loaded (after runShown).
    void modelFilesChanged(const QString& message);
    // An analysis finished: its scores are attached to snapshot().
    void analysisShown(const headlight::AnalysisResult& result, bool presetFollows);
    void analysisFailed(const QString& message);
    // The first head was pruned (the window brings the what-if panel forward).
    void pruningStarted();
    // A preset needs importance first, which is being computed now.
    void computingImportance();
    // The lens or attribution of the run on screen arrived: snapshot() holds them now.
    void inspectionShown(const headlight::RunSnapshot& snapshot);
    void inspectionFailed(const QString& message);
    void translationShown(const QString& target);

private:
    void request(const QString& dir, const QString& text, bool reloadChanged);
    // The document as a run of `dir` on `device`: the text, the focused head, and the head mask and context
    // budget when `dir` is the model they were made for.
    RunSpec runSpec(const QString& dir, const QString& device, bool reloadChanged) const;
    void showRun(const RunSnapshot& run);
    void showFailure(const QString& message, bool modelFailed);
    void showAnalysis(const AnalysisResult& result);

    HeadSelection* selection_;
    ModelSession* session_;
    RunSnapshot snapshot_;
    QString modelDir_, requestedDir_, requestedDevice_, modelDevice_;
    QString text_, target_, device_ = QStringLiteral("cpu");
    int selectorHead_ = -1, requestedSelectorHead_ = -1, modelSelectorHead_ = -1;   // as device_ and its two
    std::vector<float> headMask_;
    std::vector<int> contextBudget_;
    std::shared_ptr<const HeadScores> scores_;
    struct PendingPreset {
        WhatIfPreset preset;
        int k;
    };
    std::unique_ptr<PendingPreset> pendingPreset_;   // waits for importance
};

} // namespace headlight
