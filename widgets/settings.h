#pragma once
// Every persisted preference of the app in one typed class (QSettings behind it, in one place).
#include <QByteArray>
#include <QString>
#include <QStringList>
#include <memory>

class QSettings;

namespace headlight {

class Settings {
public:
    // The app's settings (organization "Headlight", application "Headlight").
    Settings();
    // Settings in an INI file (tests).
    explicit Settings(const QString& iniPath);
    ~Settings();

    QStringList recentModels() const;          // most recent first, at most 10, existing folders only
    void addRecentModel(const QString& dir);
    QString lastModel() const;
    void setLastModel(const QString& dir);
    QString lastText() const;
    void setLastText(const QString& text);
    QString device() const;                    // "cpu" by default
    void setDevice(const QString& device);
    bool darkTheme() const;
    void setDarkTheme(bool dark);
    QString overviewMetric() const;            // the head overview's colour metric id
    void setOverviewMetric(const QString& metric);
    int exportDpi() const;                     // 300 by default
    void setExportDpi(int dpi);
    QString exportDir() const;
    void setExportDir(const QString& dir);
    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray& geometry);
    QByteArray windowState() const;            // docks and toolbars
    void setWindowState(const QByteArray& state);

private:
    std::unique_ptr<QSettings> s_;
};

} // namespace headlight
