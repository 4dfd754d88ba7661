#include "settings.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace headlight {
namespace {

constexpr int kMaxRecentModels = 10;
constexpr int kDefaultExportDpi = 300;

// Keys in one place: renaming one must not silently lose a user's preference elsewhere.
const char* const kRecentModels = "models/recent";
const char* const kLastModel = "models/last";
const char* const kLastText = "run/text";
const char* const kDevice = "run/device";
const char* const kDarkTheme = "view/darkTheme";
const char* const kOverviewMetric = "view/overviewMetric";
const char* const kExportDpi = "export/dpi";
const char* const kExportDir = "export/dir";
const char* const kWindowGeometry = "window/geometry";
const char* const kWindowState = "window/state";

// One spelling per folder, so "a/b", "a/b/" and "a/./b" are the same recent entry.
QString canonicalFolder(const QString& dir) { return QDir::cleanPath(QFileInfo(dir).absoluteFilePath()); }

// Most recent first, each folder once, existing folders only, at most kMaxRecentModels.
QStringList tidyRecent(const QStringList& dirs) {
    QStringList out;
    for (const QString& dir : dirs) {
        if (dir.isEmpty()) continue;
        const QString folder = canonicalFolder(dir);
        if (out.contains(folder) || !QFileInfo(folder).isDir()) continue;
        out << folder;
        if (out.size() == kMaxRecentModels) break;
    }
    return out;
}

} // namespace

Settings::Settings() : s_(std::make_unique<QSettings>(QStringLiteral("Headlight"), QStringLiteral("Headlight"))) {}

Settings::Settings(const QString& iniPath) : s_(std::make_unique<QSettings>(iniPath, QSettings::IniFormat)) {}

Settings::~Settings() = default;

QStringList Settings::recentModels() const { return tidyRecent(s_->value(kRecentModels).toStringList()); }

void Settings::addRecentModel(const QString& dir) {
    QStringList dirs = s_->value(kRecentModels).toStringList();
    dirs.prepend(dir);
    s_->setValue(kRecentModels, tidyRecent(dirs));
}

QString Settings::lastModel() const { return s_->value(kLastModel).toString(); }
void Settings::setLastModel(const QString& dir) { s_->setValue(kLastModel, dir); }

QString Settings::lastText() const { return s_->value(kLastText).toString(); }
void Settings::setLastText(const QString& text) { s_->setValue(kLastText, text); }

QString Settings::device() const {
    const QString d = s_->value(kDevice).toString();
    return d.isEmpty() ? QStringLiteral("cpu") : d;
}
void Settings::setDevice(const QString& device) { s_->setValue(kDevice, device); }

bool Settings::darkTheme() const { return s_->value(kDarkTheme, false).toBool(); }
void Settings::setDarkTheme(bool dark) { s_->setValue(kDarkTheme, dark); }

QString Settings::overviewMetric() const {
    const QString m = s_->value(kOverviewMetric).toString();
    return m.isEmpty() ? QStringLiteral("entropy") : m;
}
void Settings::setOverviewMetric(const QString& metric) { s_->setValue(kOverviewMetric, metric); }

int Settings::exportDpi() const {
    bool ok = false;
    const int dpi = s_->value(kExportDpi, kDefaultExportDpi).toInt(&ok);
    // A hand-edited or corrupt value must not produce a zero-sized figure.
    return ok && dpi > 0 ? dpi : kDefaultExportDpi;
}
void Settings::setExportDpi(int dpi) { s_->setValue(kExportDpi, dpi); }

QString Settings::exportDir() const { return s_->value(kExportDir).toString(); }
void Settings::setExportDir(const QString& dir) { s_->setValue(kExportDir, dir); }

QByteArray Settings::windowGeometry() const { return s_->value(kWindowGeometry).toByteArray(); }
void Settings::setWindowGeometry(const QByteArray& geometry) { s_->setValue(kWindowGeometry, geometry); }

QByteArray Settings::windowState() const { return s_->value(kWindowState).toByteArray(); }
void Settings::setWindowState(const QByteArray& state) { s_->setValue(kWindowState, state); }

} // namespace headlight
