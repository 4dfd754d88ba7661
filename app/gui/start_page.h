#pragma once
// The start page: the bundled sample models with what each teaches, recent models, and Open.
#include "sample_catalog.h"

#include <QWidget>

class QVBoxLayout;

namespace headlight {

class StartPage : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget* parent = nullptr);
    void setRecentModels(const QStringList& dirs);

signals:
    void openRequested(const QString& modelDir);
    void openFolderRequested();

private:
    QVBoxLayout* recent_;
};

} // namespace headlight
