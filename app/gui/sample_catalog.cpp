#include "sample_catalog.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include "view_preset.h"

#include <algorithm>

namespace headlight {
namespace {

constexpr const char* kDefaultSample = "induction-gates";   // the one that teaches most at a glance

QString readText(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
    return QString::fromUtf8(f.readAll());
}

// The first paragraph after the title, with Markdown emphasis and code marks removed.
QString firstParagraph(const QString& markdown) {
    const QStringList blocks = markdown.split(QRegularExpression(QStringLiteral("\\n\\s*\\n")));
    for (const QString& block : blocks) {
        const QString b = block.trimmed();
        if (b.isEmpty() || b.startsWith(QLatin1Char('#')) || b.startsWith(QLatin1Char('|'))) continue;
        QString plain = b;
        // Markdown links read as their text: "[assign-selective](../assign-selective)" -> "assign-selective".
        plain.replace(QRegularExpression(QStringLiteral("\\[([^\\]]*)\\]\\([^)]*\\)")), QStringLiteral("\\1"));
        plain.remove(QRegularExpression(QStringLiteral("[*`]")));
        return plain.simplified();
    }
    return {};
}

} // namespace

QString findSamplesDir(const QString& envDir, const QString& appDir, const QString& relativeDir) {
    if (!envDir.isEmpty()) return envDir;
    const QFileInfo dir(QDir(appDir).filePath(relativeDir));
    return dir.isDir() ? QDir::cleanPath(dir.absoluteFilePath()) : QString();
}

QString samplesDir() {
    return findSamplesDir(qEnvironmentVariable("HEADLIGHT_SAMPLES_DIR"), QCoreApplication::applicationDirPath(),
                          QStringLiteral(HEADLIGHT_SAMPLES_RELATIVE_DIR));
}

QList<SampleModel> sampleModels() {
    QList<SampleModel> samples;
    const QString where = samplesDir();
    if (where.isEmpty()) return samples;   // QDir("") would list the working directory
    const QDir dir(where);
    for (const QString& name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        const QString path = dir.absoluteFilePath(name);
        if (!QFileInfo::exists(path + QStringLiteral("/config.json"))) continue;
        samples << SampleModel{name, path, firstParagraph(readText(path + QStringLiteral("/README.md"))),
                               exampleTextFor(path)};
    }
    // The order that teaches: the default sample first, then those that open on a mechanism's view (view.json
    // names one), then the rest (a baseline, the untrained model), each group by name.
    const auto rank = [](const SampleModel& s) {
        if (s.name == QLatin1String(kDefaultSample)) return 0;
        return readViewPreset(s.dir).view.isEmpty() ? 2 : 1;
    };
    std::stable_sort(samples.begin(), samples.end(), [&](const SampleModel& a, const SampleModel& b) { return rank(a) < rank(b); });
    return samples;
}

SampleModel defaultSample() {
    const QList<SampleModel> samples = sampleModels();
    for (const SampleModel& s : samples)
        if (s.name == QLatin1String(kDefaultSample)) return s;
    return samples.value(0);
}

QString exampleTextFor(const QString& modelDir) {
    const QString text = readText(modelDir + QStringLiteral("/example.txt")).trimmed();
    return text.isEmpty() ? QStringLiteral("Headlight shows what every attention head does.") : text;
}

} // namespace headlight
