#include "main_window.h"

#include "app_options.h"
#include "explain_panel.h"
#include "head_selection.h"
#include "input_bar.h"
#include "job_tracker.h"
#include "model_session.h"
#include "sample_catalog.h"
#include "settings.h"
#include "start_page.h"
#include "theme.h"
#include "trace_view.h"
#include "view_registry.h"
#include "views/attention/overview_view.h"
#include "views/mechanisms/selective_view.h"

#include "headlight/trace_hdf5.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

namespace headlight {

MainWindow::MainWindow(Settings& settings, QWidget* parent)
    : QMainWindow(parent), settings_(settings), session_(new ModelSession(this)),
      exportJobs_(std::make_unique<JobTracker>()), selection_(new HeadSelection(this)), input_(new InputBar),
      center_(new QStackedWidget), start_(new StartPage), explain_(new ExplainPanel),
      statusModel_(new QLabel), statusRun_(new QLabel), progress_(new QProgressBar) {
    setWindowTitle(tr("Headlight"));
    setWindowIcon(appIcon());
    setAcceptDrops(true);
    setDockNestingEnabled(true);

    views_ = createAllViews(selection_);
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(input_);
    layout->addWidget(center_, 1);
    center_->addWidget(start_);
    center_->addWidget(view(QStringLiteral("attention")));
    setCentralWidget(central);
    buildDocks();
    buildMenus();
    connectPruning();

    progress_->setMaximumWidth(160);
    progress_->setRange(0, 0);
    progress_->hide();
    statusBar()->addWidget(statusModel_);
    statusBar()->addWidget(statusRun_, 1);
    statusBar()->addPermanentWidget(progress_);

    input_->setDevices(ModelSession::availableDevices(), settings_.device());
    connect(input_, &InputBar::runRequested, this, [this](const QString& text, bool explicitRun) {
        explicitRun_ = explicitRun;
        if (!requestedDir_.isEmpty()) request(requestedDir_, text);
    });
    connect(input_, &InputBar::deviceChanged, this, [this](const QString& device) {
        settings_.setDevice(device);
        explicitRun_ = true;
        if (!requestedDir_.isEmpty()) request(requestedDir_, input_->text());
    });
    connect(input_, &InputBar::cancelRequested, session_, &ModelSession::cancel);
    connect(session_, &ModelSession::runFinished, this, &MainWindow::showRun);
    connect(session_, &ModelSession::runFailed, this, &MainWindow::showFailure);
    connect(session_->jobs(), &JobTracker::busyChanged, this, [this](bool busy) {
        progress_->setVisible(busy);
        input_->setBusy(busy);
    });
    connect(session_->jobs(), &JobTracker::started, this, [this](const QString& label) {
        statusRun_->setText(label);
    });
    connect(session_->jobs(), &JobTracker::cancelled, this, [this] {
        if (!session_->jobs()->busy()) statusRun_->setText(tr("Cancelled."));
    });
    connect(start_, &StartPage::openRequested, this, [this](const QString& dir) { openModel(dir); });
    connect(start_, &StartPage::openFolderRequested, this, &MainWindow::askOpenFolder);
    start_->setRecentModels(settings_.recentModels());

    if (!restoreGeometry(settings_.windowGeometry())) resize(1500, 940);
    restoredLayout_ = restoreState(settings_.windowState());
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
    struct Place { const char* id; Qt::DockWidgetArea area; };
    const Place places[] = {{"overview", Qt::LeftDockWidgetArea},   {"lines", Qt::RightDockWidgetArea},
                            {"predictions", Qt::RightDockWidgetArea}, {"whatif", Qt::RightDockWidgetArea},
                            {"gates", Qt::BottomDockWidgetArea},      {"spans", Qt::BottomDockWidgetArea},
                            {"selective", Qt::BottomDockWidgetArea},  {"memory", Qt::BottomDockWidgetArea},
                            {"analysis", Qt::BottomDockWidgetArea}};
    QDockWidget* firstBottom = nullptr;
    QDockWidget* firstRight = nullptr;
    QDockWidget* overviewDock = nullptr;
    for (const Place& place : places) {
        TraceView* v = view(QString::fromLatin1(place.id));
        auto* dock = new QDockWidget(v->title(), this);
        dock->setObjectName(QStringLiteral("dock-") + v->id());
        dock->setWidget(v);
        addDockWidget(place.area, dock);
        if (place.area == Qt::LeftDockWidgetArea) overviewDock = dock;
        QDockWidget*& first = place.area == Qt::BottomDockWidgetArea ? firstBottom : firstRight;
        if (place.area != Qt::LeftDockWidgetArea) {
            if (first) tabifyDockWidget(first, dock);
            else first = dock;
        }
    }
    if (firstBottom) firstBottom->raise();
    if (firstRight) firstRight->raise();
    auto* explainDock = new QDockWidget(tr("Explain"), this);
    explainDock->setObjectName(QStringLiteral("dock-explain"));
    explainDock->setWidget(explain_);
    addDockWidget(Qt::LeftDockWidgetArea, explainDock);
    // A first layout that gives the matrix the middle and the overview room for its numbers; it needs the
    // window's real size, so it waits for the event loop (a saved layout, restored in the constructor, wins).
    QTimer::singleShot(0, this, [this, overviewDock, explainDock, firstRight, firstBottom] {
        if (restoredLayout_) return;
        resizeDocks({overviewDock, firstRight}, {400, 330}, Qt::Horizontal);
        resizeDocks({firstBottom}, {height() / 3}, Qt::Vertical);
        resizeDocks({overviewDock, explainDock}, {height() / 3, height() / 4}, Qt::Vertical);
    });

    for (TraceView* v : views_) {
        v->installEventFilter(this);
        for (QWidget* child : v->findChildren<QWidget*>()) child->installEventFilter(this);
        connect(v, &TraceView::exportRequested, this, &MainWindow::askExport);
        if (auto* selective = qobject_cast<SelectiveView*>(v)) {
            connect(selective, &SelectiveView::budgetRequested, this, [this](const std::vector<int>& budget) {
                contextBudget_ = budget;
                explicitRun_ = true;
                request(requestedDir_, input_->text());
            });
        }
    }
    if (auto* overview = qobject_cast<OverviewView*>(view(QStringLiteral("overview")))) {
        overview->setMetric(settings_.overviewMetric());
        connect(overview, &OverviewView::metricChanged, this, [this](const QString& id) { settings_.setOverviewMetric(id); });
    }
    explain_->explain(view(QStringLiteral("attention")));
}

TraceView* MainWindow::view(const QString& id) const {
    for (TraceView* v : views_)
        if (v->id() == id) return v;
    return nullptr;
}

void MainWindow::openInitialModel() {
    const QString last = settings_.lastModel();
    if (!last.isEmpty() && QFileInfo(last + QStringLiteral("/config.json")).exists()) {
        const QString text = settings_.lastText();
        openModel(last, text.isEmpty() ? exampleTextFor(last) : text);
        return;
    }
    const SampleModel sample = defaultSample();
    if (!sample.dir.isEmpty()) openModel(sample.dir, sample.example);
}

void MainWindow::openModel(const QString& dir, const QString& text) {
    explicitRun_ = true;
    contextBudget_.clear();
    headMask_.clear();
    const QString absolute = QDir(dir).absolutePath();
    const QString t = text.isEmpty() ? exampleTextFor(absolute) : text;
    input_->setText(t);
    request(absolute, t);
}

void MainWindow::runText(const QString& text) {
    explicitRun_ = true;
    input_->setText(text);
    request(requestedDir_, text);
}

void MainWindow::request(const QString& dir, const QString& text) {
    if (dir.isEmpty()) return;
    requestedDir_ = dir;
    RunSpec spec;
    spec.modelDir = dir;
    spec.device = input_->device();
    spec.text = text;
    if (dir == modelDir_) {
        spec.contextBudget = contextBudget_;
        spec.headMask = headMask_;
    }
    session_->request(spec);
}

void MainWindow::showRun(const RunSnapshot& run) {
    const bool newModel = run.model->dir != modelDir_;
    if (newModel) {
        scores_.reset();
        headMask_.clear();
        pendingPreset_.reset();
    }
    RunSnapshot snapshot = run;
    snapshot.scores = scores_;
    snapshot_ = snapshot;
    modelDir_ = snapshot.model->dir;
    requestedDir_ = modelDir_;
    selection_->clampTo(snapshot.layers(), snapshot.heads(), snapshot.tokens());
    for (TraceView* v : views_) v->setSnapshot(snapshot);
    center_->setCurrentIndex(1);
    explain_->explain(explain_->explained());

    const auto& c = snapshot.model->config;
    input_->showRun(snapshot.tokens(), c.nPositions, snapshot.droppedTokens);
    statusModel_->setText(tr("%1  |  %2 layers x %3 heads  |  %4").arg(snapshot.model->name).arg(c.nLayer)
                              .arg(c.nHead).arg(snapshot.model->device));
    QString runText = tr("%n token(s), forward %1 ms, mean loss %2", nullptr, snapshot.tokens())
                          .arg(snapshot.trace->timings.forwardMs, 0, 'f', 1)
                          .arg(snapshot.trace->meanLoss(), 0, 'f', 3);
    if (snapshot.pruned())
        runText += tr("  |  %n head(s) pruned, recomputed from layer %1", nullptr,
                          prunedHeadCount(std::vector<float>(snapshot.trace->headMask.begin(), snapshot.trace->headMask.end())))
                       .arg(snapshot.trace->timings.firstLayerRun);
    statusRun_->setText(runText);
    if (newModel) {
        raiseFirstAvailableMechanism();
        setWindowTitle(tr("%1 - Headlight").arg(snapshot.model->name));
        settings_.addRecentModel(modelDir_);
        start_->setRecentModels(settings_.recentModels());
        rebuildRecentMenu();
    }
    settings_.setLastModel(modelDir_);
    settings_.setLastText(snapshot.text);
    emit snapshotShown(snapshot);
}

void MainWindow::raiseFirstAvailableMechanism() {
    // The bottom docks are tabbed; show a mechanism this model has instead of a "has no ..." message.
    for (const char* id : {"gates", "spans", "selective", "memory"}) {
        TraceView* v = view(QString::fromLatin1(id));
        if (v && v->unavailableReason().isEmpty()) {
            if (auto* dock = qobject_cast<QDockWidget*>(v->parentWidget())) dock->raise();
            return;
        }
    }
}

void MainWindow::showFailure(const QString& message, bool modelFailed) {
    if (modelFailed) requestedDir_ = modelDir_;   // keep the model on screen
    if (modelFailed || explicitRun_) showProblemBox(modelFailed ? tr("Cannot open model") : tr("Cannot run text"), message);
    if (!modelFailed) input_->showProblem(message);
    statusRun_->setText(message);
    emit problemShown(message);
}

void MainWindow::showProblemBox(const QString& title, const QString& message) {
    // Window-modal but not blocking: the event loop (and the tests) go on.
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    box->open();
}

void MainWindow::setDark(bool dark) {
    settings_.setDarkTheme(dark);
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) applyTheme(*app, dark);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::MouseButtonPress || event->type() == QEvent::FocusIn) {
        for (QObject* o = watched; o; o = o->parent()) {
            if (auto* v = qobject_cast<TraceView*>(o)) {
                if (explain_->explained() != v) explain_->explain(v);
                break;
            }
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.front().isLocalFile() && QFileInfo(urls.front().toLocalFile()).isDir())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty()) openModel(urls.front().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    settings_.setWindowGeometry(saveGeometry());
    settings_.setWindowState(saveState());
    session_->cancel();
    QMainWindow::closeEvent(event);
}

void MainWindow::exportView(TraceView* v, const QString& path, const ExportOptions& options) {
    v->exportFigure(path, options);
}

void MainWindow::exportRun(const QString& path, std::function<void(const QString&)> done) {
    if (!snapshot_.valid()) {
        done(tr("Nothing to export yet: run some text first."));
        return;
    }
    const RunSnapshot s = snapshot_;
    exportJobs_->submit(
        tr("Writing %1").arg(path),
        [s, path](JobContext&) {
            // The same provenance keys as `headlight-cli run` (docs/trace-format.md).
            Provenance p = {{"model_path", s.model->dir.toStdString()},
                            {"config_json", s.model->config.toJson()},
                            {"text", s.text.toStdString()},
                            {"input", "text"},
                            {"device", s.model->device.toStdString()},
                            {"tool", "headlight"},
                            {"tool_version", HEADLIGHT_VERSION},
                            {"created_utc", QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString()}};
            writeTraceHdf5(path.toStdString(), *s.trace, p);
            return QVariant();
        },
        [done](const QVariant&) { done({}); }, [done](const QString& error) { done(error); });
}

} // namespace headlight
