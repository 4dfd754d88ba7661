#include "model_session.h"

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/pruning.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <set>
#include <mutex>
#include <utility>

namespace headlight {
namespace {

QString folderKey(const QString& dir) { return QDir::cleanPath(QFileInfo(dir).absoluteFilePath()); }

} // namespace

std::shared_ptr<const ModelInfo> describeModel(const Engine& engine, const QString& dir) {
    auto info = std::make_shared<ModelInfo>();
    info->dir = dir;
    info->name = QFileInfo(QDir::cleanPath(dir)).fileName();
    info->config = engine.config();
    if (const Tokenizer* tokenizer = engine.tokenizer()) {
        info->vocabulary.reserve(static_cast<size_t>(tokenizer->vocabSize()));
        for (int64_t id = 0; id < tokenizer->vocabSize(); ++id) info->vocabulary.push_back(tokenizer->tokenText(id));
        info->canEncode = tokenizer->canEncode();
    } else {
        info->canEncode = false;
    }
    info->preset = readViewPreset(dir);   // a small file, read here on the worker with the model
    info->parameters = engine.parameterCount();
    info->device = QString::fromStdString(engine.device());
    return info;
}

// The loaded model; created and replaced on the run worker. Analyses borrow the engine (shared) under `mutex`.
struct ModelSession::Loaded {
    std::mutex mutex;                        // guards engine, dirKey and device against the analysis worker
    std::shared_ptr<Engine> engine;
    std::shared_ptr<const ModelInfo> info;   // shared by every snapshot of this model
    QString dirKey;                          // absolute, cleaned folder path: "same model" whatever the spelling
    QString device;                          // as requested ("cpu", "cuda")
    // The newest unpruned run and what it ran: a what-if that only changes the mask compares against it.
    std::shared_ptr<const Trace> baseline;
    std::vector<int64_t> baselineIds;
    std::vector<int> baselineBudget;
    std::shared_ptr<const HeadSummaries> baselineSummaries;   // for `baseline`, once a run showed it; reset with it
    std::set<int> baselineCapture, baselineHeads;             // the layers and heads `baseline` captured

    static CaptureSpec captureFor(const ModelConfig& config, int64_t tokens, int focusLayer, int focusHead) {
        CaptureSpec capture;   // every layer and head, logits included
        if (ModelSession::capturesEveryHead(config, tokens)) return capture;
        capture.layers = {std::clamp(focusLayer, 0, config.nLayer - 1)};
        capture.heads = {std::clamp(focusHead, 0, config.nHead - 1)};
        capture.headStats = true;
        capture.pooledSize = ModelSession::kPooledCells;
        return capture;
    }

    // Loads the model of `spec` unless it is the one already here; returns the load time (0 when nothing was
    // loaded). On failure the previous model stays.
    double ensureLoaded(const RunSpec& spec, JobContext& context) {
        if (spec.modelDir.isEmpty()) throw Error("", "no model folder is open");
        const QString key = folderKey(spec.modelDir);
        if (engine && dirKey == key && device == spec.device) return 0;
        context.progress(-1, tr("Loading %1 on %2").arg(QFileInfo(key).fileName(), spec.device));
        auto loaded = std::make_shared<Engine>(Engine::load(spec.modelDir.toStdString(), spec.device.toStdString()));
        auto loadedInfo = describeModel(*loaded, spec.modelDir);
        // Replaced only now that the new model loaded completely.
        std::lock_guard<std::mutex> lock(mutex);
        engine = std::move(loaded);
        info = std::move(loadedInfo);
        dirKey = key;
        device = spec.device;
        baseline.reset();
        baselineSummaries.reset();
        return engine->loadMs();
    }

    // The loaded engine when it is `dir` on `dev`, else null (any thread).
    std::shared_ptr<Engine> engineFor(const QString& dir, const QString& dev) {
        std::lock_guard<std::mutex> lock(mutex);
        return engine && dirKey == folderKey(dir) && device == dev ? engine : nullptr;
    }

    RunSnapshot run(const RunSpec& spec, JobContext& context) {
        std::vector<int64_t> ids = engine->encode(spec.text.toStdString());
        const int limit = engine->config().nPositions;
        RunSnapshot snapshot;
        snapshot.text = spec.text;
        if (static_cast<int64_t>(ids.size()) > limit) {
            // Keep the beginning: what the user reads first is what the views show.
            snapshot.droppedTokens = static_cast<int>(ids.size()) - limit;
            ids.resize(static_cast<size_t>(limit));
            snapshot.text = QString::fromStdString(engine->tokenizer()->decode(ids));
        }
        const QString running = tr("Running %n token(s)", nullptr, static_cast<int>(ids.size()));
        context.progress(-1, running);
        RunRequest request;
        request.tokenIds = ids;
        request.contextBudget = spec.contextBudget;
        request.capture = captureFor(engine->config(), static_cast<int64_t>(ids.size()), spec.focusLayer, spec.focusHead);
        // Progress per layer, and Cancel (or a newer request) stops a long run between layers.
        request.progress = [&context, running](int done, int layers) {
            if (context.cancelled()) throw Cancelled();
            context.progress(static_cast<double>(done) / layers, running);
        };
        const bool pruning = prunedHeadCount(spec.headMask) > 0;
        const bool sameInput = baseline && baselineIds == ids && baselineBudget == spec.contextBudget &&
                               baselineCapture == request.capture.layers && baselineHeads == request.capture.heads;
        if (!sameInput) {
            // The unpruned run first: the views compare against it, and the pruned run then starts from the
            // first layer with a pruned head instead of layer 0.
            baseline = std::make_shared<const Trace>(engine->run(request));
            baselineSummaries.reset();
            baselineIds = ids;
            baselineBudget = spec.contextBudget;
            baselineCapture = request.capture.layers;
            baselineHeads = request.capture.heads;
        }
        if (pruning) {
            request.headMask = spec.headMask;
            snapshot.trace = std::make_shared<const Trace>(engine->run(request));
            snapshot.baseline = baseline;
            snapshot.comparison = std::make_shared<const RunComparison>(compareRuns(*baseline, *snapshot.trace));
        } else {
            snapshot.trace = baseline;
        }
        snapshot.model = info;
        // The unpruned run's summaries are kept with it: a what-if that only changes the mask reuses them.
        if (!pruning && baselineSummaries) {
            snapshot.summaries = baselineSummaries;
            snapshot.summarized = baseline.get();
        } else {
            context.progress(-1, tr("Summarizing %n head(s)", nullptr, info->config.nLayer * info->config.nHead));
            summarize(snapshot);
            if (!pruning) baselineSummaries = snapshot.summaries;
        }
        return snapshot;
    }
};

ModelSession::ModelSession(QObject* parent) : QObject(parent), loaded_(std::make_shared<Loaded>()) {
    qRegisterMetaType<headlight::RunSnapshot>("headlight::RunSnapshot");
    qRegisterMetaType<headlight::AnalysisResult>("headlight::AnalysisResult");
}

ModelSession::~ModelSession() {
    analysisJobs_.cancel();
    jobs_.cancel();
    // The engine goes on the worker thread, after the queued jobs (which hold loaded_ too) were skipped;
    // jobs_'s destructor then waits for it.
    jobs_.runOnWorker([loaded = std::move(loaded_)]() mutable { loaded.reset(); });
}

void ModelSession::request(const RunSpec& spec) {
    // Set on the worker before the load error is thrown, read on this thread when the failure arrives.
    auto modelFailed = std::make_shared<std::atomic_bool>(false);
    auto work = [loaded = loaded_, spec, modelFailed](JobContext& context) -> QVariant {
        double loadMs = 0;
        try {
            loadMs = loaded->ensureLoaded(spec, context);
        } catch (...) {
            modelFailed->store(true);
            throw;
        }
        if (context.cancelled()) return {};
        RunSnapshot snapshot;
        try {
            snapshot = loaded->run(spec, context);
        } catch (const Cancelled&) {
            return {};   // not delivered: the tracker knows the job was cancelled
        }
        snapshot.loadMs = loadMs;
        context.progress(1.0, tr("Done"));
        return QVariant::fromValue(snapshot);
    };
    jobs_.submit(
        tr("Running %1").arg(QFileInfo(QDir::cleanPath(spec.modelDir)).fileName()), std::move(work),
        [this](const QVariant& result) { emit runFinished(result.value<RunSnapshot>()); },
        [this, modelFailed](const QString& message) { emit runFailed(message, modelFailed->load()); });
}

void ModelSession::cancel() { jobs_.cancel(); }

bool ModelSession::capturesEveryHead(const ModelConfig& config, int64_t tokens) {
    const double bytes = static_cast<double>(config.nLayer) * config.nHead * static_cast<double>(tokens) *
                         static_cast<double>(tokens) * sizeof(float);
    return bytes <= static_cast<double>(kFullCaptureBytes);
}

void ModelSession::focus(const RunSnapshot& shown, int layer, int head) {
    if (!shown.valid()) return;
    auto work = [loaded = loaded_, shown, layer, head](JobContext& context) -> QVariant {
        std::shared_ptr<Engine> engine = loaded->engineFor(shown.model->dir, loaded->device);
        if (!engine) throw Error(shown.model->dir.toStdString(), "is no longer the loaded model");
        context.progress(-1, tr("Capturing layer %1, head %2").arg(layer).arg(head));
        RunRequest request;
        request.tokenIds = shown.trace->tokenIds;
        request.headMask.assign(shown.trace->headMask.begin(), shown.trace->headMask.end());
        request.contextBudget = loaded->baselineBudget;
        LayerTrace captured;
        try {
            captured = engine->recaptureLayer(request, layer, {head});
        } catch (const Error&) {
            // The engine ran something else since (a what-if, then back): run the shown text again instead.
            RunSpec spec;
            spec.modelDir = shown.model->dir;
            spec.device = loaded->device;
            spec.text = shown.text;
            spec.headMask = request.headMask;
            spec.contextBudget = request.contextBudget;
            spec.focusLayer = layer;
            spec.focusHead = head;
            try {
                return QVariant::fromValue(loaded->run(spec, context));
            } catch (const Cancelled&) {
                return {};
            }
        }
        auto trace = std::make_shared<Trace>(*shown.trace);   // shares every array; only the layers change
        trace->layers = {std::move(captured)};
        RunSnapshot snapshot = shown;
        snapshot.trace = trace;
        snapshot.summarized = trace.get();   // the same run: its summaries (from the digests) still hold
        context.progress(1.0, tr("Done"));
        return QVariant::fromValue(snapshot);
    };
    jobs_.submit(
        tr("Capturing layer %1, head %2").arg(layer).arg(head), std::move(work),
        [this](const QVariant& result) { emit runFinished(result.value<RunSnapshot>()); },
        [this](const QString& message) { emit runFailed(message, false); });
}

void ModelSession::analyze(const AnalysisSpec& spec) {
    auto work = [loaded = loaded_, spec](JobContext& context) -> QVariant {
        std::shared_ptr<Engine> engine = loaded->engineFor(spec.modelDir, spec.device);
        if (!engine) {
            context.progress(-1, tr("Loading %1").arg(QFileInfo(QDir::cleanPath(spec.modelDir)).fileName()));
            engine = std::make_shared<Engine>(Engine::load(spec.modelDir.toStdString(), spec.device.toStdString()));
        }
        context.progress(0.0);
        try {
            AnalysisResult result = runAnalysis(*engine, spec, [&context](double f) {
                context.progress(f);
                return !context.cancelled();
            });
            return QVariant::fromValue(result);
        } catch (const Cancelled&) {
            return {};   // not delivered: the tracker knows the job was cancelled
        }
    };
    QString label;
    switch (spec.kind) {
    case AnalysisKind::Importance: label = tr("Head importance"); break;
    case AnalysisKind::Ablation: label = tr("Single-head ablation"); break;
    case AnalysisKind::Curves: label = tr("Pruning curves"); break;
    case AnalysisKind::MemoryCurve: label = tr("Loss versus memory"); break;
    }
    analysisJobs_.submit(
        label, std::move(work),
        [this](const QVariant& result) { emit analysisFinished(result.value<AnalysisResult>()); },
        [this](const QString& message) { emit analysisFailed(message); });
}

void ModelSession::cancelAnalysis() { analysisJobs_.cancel(); }

QStringList ModelSession::availableDevices() {
    QStringList devices{QStringLiteral("cpu")};
    if (Engine::cudaAvailable()) devices << QStringLiteral("cuda");
    return devices;
}

} // namespace headlight
