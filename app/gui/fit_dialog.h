#pragma once
// Analysis > Fit a mechanism...: what to fit to the open model and on what (docs/fitting.md), as the CLI's
// `fit` takes it. The dialog only collects settings; FitConfig::trainConfig() checks them when the fit starts.
#include "headlight/fitting.h"

#include <QDialog>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace headlight {

class FitDialog : public QDialog {
    Q_OBJECT
public:
    FitDialog(const QString& modelDir, const ModelConfig& config, QWidget* parent = nullptr);

    FitConfig config() const;
    QString outDir() const;
    // The lambdas typed as a list ("0.01, 0.1, 1"): a sweep, one fit each; empty for a single lambda.
    std::vector<double> sweepLambdas() const;

    QComboBox* mechanismBox() const { return mechanism_; }
    QRadioButton* taskChoice() const { return useTask_; }
    QRadioButton* textChoice() const { return useText_; }
    QLineEdit* textFileEdit() const { return textFile_; }
    QLineEdit* lambdaEdit() const { return lambda_; }
    QSpinBox* stepsBox() const { return steps_; }
    QLineEdit* outEdit() const { return out_; }

private:
    void mechanismChanged();

    QString modelDir_;
    ModelConfig model_;
    std::optional<TaskParams> task_;   // the task the model was trained on, when its folder says
    QComboBox* mechanism_;
    QRadioButton* useTask_;
    QRadioButton* useText_;
    QLineEdit* textFile_;
    QSpinBox* context_;
    QLineEdit* lambda_;
    QSpinBox* steps_;
    QComboBox* device_;
    QCheckBox* trainAll_;
    QLineEdit* out_;
};

// A folder name beside the model that does not exist yet: MODEL-MECHANISM, MODEL-MECHANISM-2, ...
QString freeFitFolder(const QString& modelDir, const QString& mechanism);

} // namespace headlight
