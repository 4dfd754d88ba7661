#include "model_session.h"

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/pruning.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <set>
#include <mutex>
#include <sys/stat.h>
#include <utility>

namespace headlight {
namespace {

QString folderKey(const QString& dir) { return QDir::cleanPath(QFileInfo(dir).absoluteFilePath()); }

// What the files a model loads from were when it loaded: a run compares them with the folder now, so that a
// folder removed, or a file truncated, rewritten or replaced while the model is open, is reported. The loaded
// model keeps running meanwhile: its weights are in memory, not read from the file.
struct FileStamp {
    QString path;
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
};

FileStamp stampOf(const QString& path) {
    FileStamp f;
    f.path = path;
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0 || !S_ISREG(st.st_mode)) return f;
    f.exists = true;
    f.device = st.st_dev;
    f.inode = st.st_ino;
    f.size = st.st_size;
    f.modified = st.st_mtim;
    return f;
}

bool sameFile(const FileStamp& a, const FileStamp& b) {
    return a.exists == b.exists && a.device == b.device && a.inode == b.inode && a.size == b.size &&
           a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec;
}

// The files Engine::load reads: config.json, the weights (one file or shards) and the tokenizer's files.
std::vector<FileStamp> stampModelFolder(const QString& dir) {
    static const QStringList kNames = {QStringLiteral("config.json"), QStringLiteral("*.safetensors"),
                                       QStringLiteral("model.safetensors.index.json"), QStringLiteral("tokenizer.json"),
                                       QStringLiteral("tokenizer_config.json"), QStringLiteral("vocab.json"),
                                       QStringLiteral("vocab.txt"), QStringLiteral("merges.txt")};
    std::vector<FileStamp> stamps{stampOf(QDir(dir).filePath(QStringLiteral("config.json")))};
    for (const QFileInfo& f : QDir(dir).entryInfoList(kNames, QDir::Files, QDir::Name)) {
        // A writer's temporary ("model.tmp-PID.safetensors") is about to be renamed away, not a model file.
        if (f.fileName() == QLatin1String("config.json") || f.fileName().contains(QLatin1String(".tmp-"))) continue;
        stamps.push_back(stampOf(f.filePath()));
    }
    return stamps;
}

// One line naming the first file that differs from `loaded`, or an empty string.
QString folderChange(const std::vector<FileStamp>& loaded) {
    for (const FileStamp& then : loaded) {
        const FileStamp now = stampOf(then.path);
        if (sameFile(then, now)) continue;
        const QString what = !now.exists ? ModelSession::tr("removed") : ModelSession::tr("changed on disk");
        return ModelSession::tr("%1: %2 since the model was loaded; the loaded copy keeps running "
                                "(open the folder again to reload it)")
            .arg(then.path, what);
    }
    return {};
}

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
    std::vector<FileStamp> files;            // the model's files as they were when it loaded (run worker only)

    static CaptureSpec captureFor(const ModelConfig& config, int64_t tokens, int focusLayer, int focusHead) {
        CaptureSpec capture;   // every layer and head, logits included
        if (ModelSession::capturesEveryHead(config, tokens)) return capture;
        capture.layers = {std::clamp(focusLayer, 0, config.nLayer - 1)};
        capture.heads = {std::clamp(focusHead, 0, config.nHead - 1)};
        capture.headStats = true;
        capture.pooledSize = ModelSession::kPooledCells;
        return capture;
    }

    // Loads the model of `spec` unless it is the one already here (and, for spec.reloadChanged, its files are
    // as they were when it loaded); returns the load time (0 when nothing was loaded). On failure the previous
    // model stays.
    double ensureLoaded(const RunSpec& spec, JobContext& context) {
        if (spec.modelDir.isEmpty()) throw Error("", "no model folder is open");
        const QString key = folderKey(spec.modelDir);
        if (engine && dirKey == key && device == spec.device && !(spec.reloadChanged && !folderChange(files).isEmpty()))
            return 0;
        context.progress(-1, tr("Loading %1 on %2").arg(QFileInfo(key).fileName(), spec.device));
        // Stamped before reading: a file that changes during the load is reported by the next run.
        std::vector<FileStamp> stamps = stampModelFolder(key);
        auto loaded = std::make_shared<Engine>(Engine::load(spec.modelDir.toStdString(), spec.device.toStdString()));
        auto loadedInfo = describeModel(*loaded, spec.modelDir);
        // Replaced only now that the new model loaded completely.
        std::lock_guard<std::mutex> lock(mutex);
        engine = std::move(loaded);
        info = std::move(loadedInfo);
        dirKey = key;
        device = spec.device;
        files = std::move(stamps);
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
    // Written on the worker, read here once the result arrived (the delivery is queued after the work).
    auto filesChanged = std::make_shared<QString>();
    auto work = [loaded = loaded_, spec, modelFailed, filesChanged](JobContext& context) -> QVariant {
        double loadMs = 0;
        try {
            loadMs = loaded->ensureLoaded(spec, context);
        } catch (...) {
            modelFailed->store(true);
            throw;
        }
        if (context.cancelled()) return {};
        *filesChanged = folderChange(loaded->files);
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
        [this, filesChanged](const QVariant& result) {
            const QPointer<ModelSession> alive(this);   // a receiver may close the session on the result
            emit runFinished(result.value<RunSnapshot>());
            if (alive && !filesChanged->isEmpty()) emit modelFilesChanged(*filesChanged);
        },
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
