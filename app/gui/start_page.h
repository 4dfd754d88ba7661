#pragma once
// The start page: the bundled sample models with what each teaches, recent models, and Open.
#include "sample_catalog.h"

#include <QWidget>

class QPushButton;
class QVBoxLayout;

namespace headlight {

class StartPage : public QWidget {
    Q_OBJECT
public:
    explicit StartPage(QWidget* parent = nullptr);
    void setRecentModels(const QStringList& dirs);
    // "Back to <model>" at the top while a model is open (empty: none open, the button hidden).
    void setOpenModel(const QString& name);

signals:
    void openRequested(const QString& modelDir);
    void openFolderRequested();
    void backRequested();

private:
    QVBoxLayout* recent_;
    QPushButton* back_;
};

} // namespace headlight
