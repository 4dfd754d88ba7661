#include "workspace.h"
#include "headlight/mechanisms/head_gates.h"

#include "head_selection.h"
#include "model_session.h"

#include "headlight/head_metrics.h"
#include "headlight/what_if.h"

#include <QDir>
#include <algorithm>

namespace headlight {

Workspace::Workspace(HeadSelection* selection, QObject* parent)
    : QObject(parent), selection_(selection), session_(new ModelSession(this)) {
    connect(session_, &ModelSession::runFinished, this, &Workspace::showRun);
    connect(session_, &ModelSession::runFailed, this, &Workspace::showFailure);
    connect(session_, &ModelSession::modelFilesChanged, this, &Workspace::modelFilesChanged);
    connect(session_, &ModelSession::analysisFinished, this, &Workspace::showAnalysis);
    connect(session_, &ModelSession::inspected, this, [this](const InspectResult& result) {
        if (!snapshot_.valid() || result.trace != snapshot_.trace) return;   // a run arrived since
        if (result.lens) snapshot_.lens = result.lens;
        if (result.attribution) snapshot_.attribution = result.attribution;
        emit inspectionShown(snapshot_);
    });
    connect(session_, &ModelSession::inspectFailed, this, &Workspace::inspectionFailed);
    connect(session_, &ModelSession::translated, this, [this](const QString& target) {
        target_ = target;
        emit translationShown(target);
        run(text_);
    });
    connect(session_, &ModelSession::analysisFailed, this, [this](const QString& message) {
        pendingPreset_.reset();
        emit analysisFailed(message);
    });
}

void Workspace::open(const QString& dir, const QString& text) {
    contextBudget_.clear();
    headMask_.clear();
    if (!modelDir_.isEmpty() && QDir(dir).absolutePath() != modelDir_) selectorHead_ = -1;   // it was for that model
    request(QDir(dir).absolutePath(), text, true);   // the model on screen again: reloaded if its files changed
}

void Workspace::run(const QString& text) { request(requestedDir_, text, false); }

void Workspace::translate(const QString& text) {
    text_ = text;
    if (requestedDir_.isEmpty()) return;
    session_->translate(runSpec(requestedDir_, device_, false));
}

void Workspace::request(const QString& dir, const QString& text, bool reloadChanged) {
    text_ = text;
    if (dir.isEmpty()) return;
    requestedDir_ = dir;
    requestedDevice_ = device_;
    requestedSelectorHead_ = selectorHead_;
    session_->request(runSpec(dir, device_, reloadChanged));
}

RunSpec Workspace::runSpec(const QString& dir, const QString& device, bool reloadChanged) const {
    RunSpec spec;
    spec.modelDir = dir;
    spec.device = device;
    spec.text = text_;
    spec.target = target_;
    spec.focusLayer = selection_->current().layer;
    spec.focusHead = selection_->current().head;
    spec.reloadChanged = reloadChanged;
    spec.selectorHead = selectorHead_;
    if (dir == modelDir_) {   // a mask and a budget belong to the model they were made for
        spec.contextBudget = contextBudget_;
        spec.headMask = headMask_;
    }
    return spec;
}

void Workspace::showRun(const RunSnapshot& run) {
    // A folder opened again after its files changed loads anew: scores and presets of the old copy go too.
    const bool newModel = run.model->dir != modelDir_ || run.model != snapshot_.model;
    modelDevice_ = requestedDevice_;   // only the newest request delivers
    modelSelectorHead_ = requestedSelectorHead_;
    if (newModel) {
        scores_.reset();
        headMask_.clear();
        pendingPreset_.reset();
    }
    // A model without a tokenizer may open on starting token ids instead of the text asked for: they are the text now.
    if (newModel && !run.model->canEncode) text_ = run.text;
    snapshot_ = run;
    snapshot_.scores = scores_;
    modelDir_ = snapshot_.model->dir;
    requestedDir_ = modelDir_;
    emit runShown(snapshot_, newModel);
}

void Workspace::showFailure(const QString& message, bool modelFailed) {
    if (modelFailed) {
        // The model on screen stays, and so does its device: left on the one that failed, every later run
        // would try (and fail) to load again.
        requestedDir_ = modelDir_;
        if (!modelDevice_.isEmpty()) device_ = modelDevice_;
        selectorHead_ = modelSelectorHead_;
    }
    emit runFailed(message, modelFailed);
}

void Workspace::focusCurrentHead() {
    if (!snapshot_.valid() || snapshot_.trace->digests.empty() || session_->jobs()->busy()) return;
    const HeadRef h = selection_->current();
    const LayerTrace* lt = snapshot_.trace->layer(h.layer);
    if (lt && std::find(lt->heads.begin(), lt->heads.end(), h.head) != lt->heads.end()) return;
    session_->focus(snapshot_, runSpec(modelDir_, modelDevice_, false));   // h is the selection's current head
}

void Workspace::setContextBudget(std::vector<int> budget) {
    contextBudget_ = std::move(budget);
    request(requestedDir_, text_, false);
}

void Workspace::setHeadMask(std::vector<float> mask) {
    if (!snapshot_.valid()) return;
    const bool first = headMask_.empty();
    headMask_ = prunedHeadCount(mask) > 0 ? std::move(mask) : std::vector<float>{};
    if (first && !headMask_.empty()) emit pruningStarted();
    request(modelDir_, text_, false);
}

void Workspace::togglePruned(int layer, int head) {
    if (!snapshot_.valid() || layer < 0 || head < 0 || layer >= snapshot_.layers() || head >= snapshot_.heads()) return;
    std::vector<float> mask = headMask_;
    if (mask.empty()) mask.assign(static_cast<size_t>(snapshot_.layers() * snapshot_.heads()), 1.0f);
    float& m = mask[static_cast<size_t>(layer * snapshot_.heads() + head)];
    m = m == 0.0f ? 1.0f : 0.0f;
    setHeadMask(std::move(mask));
}

void Workspace::inspect(bool lens, bool attribution, int position) {
    if (!snapshot_.valid()) return;
    if (position < 0) position = snapshot_.tokens() - 1;
    const bool needLens = lens && !snapshot_.lens;
    const bool needAttribution = attribution && (!snapshot_.attribution || snapshot_.attribution->position != position);
    if (needLens || needAttribution) session_->inspect(snapshot_, needLens, needAttribution ? position : -1);
}

void Workspace::togglePrunedHeads(const QList<HeadRef>& heads) {
    if (!snapshot_.valid() || heads.isEmpty()) return;
    std::vector<float> mask = headMask_;
    if (mask.empty()) mask.assign(static_cast<size_t>(snapshot_.layers() * snapshot_.heads()), 1.0f);
    auto slot = [&](const HeadRef& h) -> float* {
        if (h.layer < 0 || h.head < 0 || h.layer >= snapshot_.layers() || h.head >= snapshot_.heads()) return nullptr;
        return &mask[static_cast<size_t>(h.layer * snapshot_.heads() + h.head)];
    };
    bool anyKept = false;
    for (const HeadRef& h : heads)
        if (float* m = slot(h)) anyKept = anyKept || *m != 0.0f;
    for (const HeadRef& h : heads)
        if (float* m = slot(h)) *m = anyKept ? 0.0f : 1.0f;
    setHeadMask(std::move(mask));
}

void Workspace::applyPreset(WhatIfPreset preset, int k) {
    if (!snapshot_.valid()) return;
    switch (preset) {
    case WhatIfPreset::RestoreAll:
        setHeadMask({});
        return;
    case WhatIfPreset::PruneClosedGates:
        if (!snapshot_.model->config.mechanism<HeadGatesConfig>()) return;   // the button is disabled anyway
        setHeadMask(closedGateMask(computeHeadMetric(HeadMetric{head_gates::kGate}, *snapshot_.trace, snapshot_.model->config)));   // [L,H], captured gates
        return;
    case WhatIfPreset::PruneLeastImportant:
    case WhatIfPreset::KeepMostImportant:
        break;
    }
    if (!scores_ || scores_->importance.empty()) {
        // Importance first (on this text, nothing pruned), then the preset.
        pendingPreset_ = std::make_unique<PendingPreset>(PendingPreset{preset, k});
        AnalysisSpec spec;
        spec.kind = AnalysisKind::Importance;
        spec.source = AnalysisSource::Text;
        spec.text = snapshot_.text;
        spec.target = snapshot_.target;
        spec.modelDir = modelDir_;
        spec.device = device_;
        spec.selectorHead = selectorHead_;
        session_->analyze(spec);
        emit computingImportance();
        return;
    }
    setHeadMask(preset == WhatIfPreset::PruneLeastImportant ? pruneLeastImportant(scores_->importance, k, headMask_)
                                                            : keepMostImportant(scores_->importance, k));
}

void Workspace::startAnalysis(AnalysisSpec spec) {
    if (!snapshot_.valid()) return;
    spec.modelDir = modelDir_;
    spec.device = device_;
    spec.selectorHead = selectorHead_;
    spec.headMask = headMask_;
    pendingPreset_.reset();   // the user asked for something else
    session_->analyze(spec);
}

void Workspace::cancelAnalysis() {
    session_->cancelAnalysis();
    pendingPreset_.reset();
}

void Workspace::showAnalysis(const AnalysisResult& result) {
    if (!snapshot_.valid() || result.modelDir != modelDir_) return;   // measured on a model no longer shown
    auto scores = std::make_shared<HeadScores>(scores_ ? *scores_ : HeadScores{});
    if (!result.importance.empty()) scores->importance = result.importance;
    if (!result.ablationDeltaLoss.empty()) scores->ablationDeltaLoss = result.ablationDeltaLoss;
    scores->source = result.source;
    scores_ = std::move(scores);
    snapshot_.scores = scores_;
    const bool presetFollows = pendingPreset_ && result.kind == AnalysisKind::Importance;
    emit analysisShown(result, presetFollows);
    if (presetFollows) {
        const PendingPreset p = *pendingPreset_;
        pendingPreset_.reset();
        applyPreset(p.preset, p.k);
    }
}

} // namespace headlight
