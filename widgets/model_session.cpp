#include "model_session.h"

#include "headlight/engine.h"
#include "headlight/error.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

#include <atomic>
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
        context.progress(-1, tr("Running %n token(s)", nullptr, static_cast<int>(ids.size())));
        RunRequest request;
        request.tokenIds = ids;
        request.contextBudget = spec.contextBudget;
        request.capture = CaptureSpec{};   // every layer and head, logits included
        const bool pruning = prunedHeadCount(spec.headMask) > 0;
        const bool sameInput = baseline && baselineIds == ids && baselineBudget == spec.contextBudget;
        if (!sameInput) {
            // The unpruned run first: the views compare against it, and the pruned run then starts from the
            // first layer with a pruned head instead of layer 0.
            baseline = std::make_shared<const Trace>(engine->run(request));
            baselineSummaries.reset();
            baselineIds = ids;
            baselineBudget = spec.contextBudget;
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
        RunSnapshot snapshot = loaded->run(spec, context);
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
