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

// HEADLIGHT_SAMPLES_DIR in the environment, else the installed share/headlight/sample_models, else the
// source tree's sample_models (a build run in place).
QString samplesDir();
QList<SampleModel> sampleModels();
// The sample the app opens on first start.
SampleModel defaultSample();
// The example text for a model folder (its example.txt), or a fallback.
QString exampleTextFor(const QString& modelDir);

} // namespace headlight
