#pragma once
// The bundled sample models: where they are, what each teaches, and the example text each opens with.
#include <QList>
#include <QString>

namespace headlight {

struct SampleModel {
    QString name;      // folder name
    QString dir;       // absolute path
    QString summary;   // the model card's first paragraph (plain text)
    QString example;   // example.txt: the text the app runs when the sample opens
};

// Where the samples are for an executable in `appDir`: `envDir` when set (HEADLIGHT_SAMPLES_DIR), else
// `appDir/relativeDir` when it is a folder, else empty. Installed, `relativeDir` leads from bin/ to
// share/headlight/sample_models; the build tree has the same layout, its share/headlight/sample_models a link
// to the source tree's sample_models. So no absolute path is compiled in and an installed tree can move.
QString findSamplesDir(const QString& envDir, const QString& appDir, const QString& relativeDir);
// findSamplesDir for this executable; empty when there are no samples.
QString samplesDir();
// The samples in samplesDir(), by name; none when it is empty.
QList<SampleModel> sampleModels();
// The sample the app opens on first start.
SampleModel defaultSample();
// The example text for a model folder (its example.txt), or a fallback.
QString exampleTextFor(const QString& modelDir);

} // namespace headlight
