#include "fit_dialog.h"

#include "headlight/engine.h"
#include "headlight/session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>

namespace headlight {

QString freeFitFolder(const QString& modelDir, const QString& mechanism) {
    QString base = QDir::cleanPath(modelDir) + QLatin1Char('-') + mechanism;
    QString candidate = base;
    for (int i = 2; QFileInfo::exists(candidate); ++i) candidate = base + QLatin1Char('-') + QString::number(i);
    return candidate;
}

FitDialog::FitDialog(const QString& modelDir, const ModelConfig& config, QWidget* parent)
    : QDialog(parent), modelDir_(modelDir), model_(config) {
    setWindowTitle(tr("Fit a mechanism to %1").arg(QFileInfo(modelDir).fileName()));
    auto* form = new QFormLayout(this);
    mechanism_ = new QComboBox(this);
    const struct { const char* key; const char* label; } choices[] = {
        {"head_gates", QT_TR_NOOP("Head gates (Voita et al.): which heads it can lose")},
        {"adaptive_span", QT_TR_NOOP("Adaptive span (Sukhbaatar et al.): how far each head reads")},
        {"selective_attention", QT_TR_NOOP("Selective attention (Leviathan et al.): fine-tune to use it")}};
    for (const auto& c : choices) {
        if (config.mechanisms.has(c.key)) continue;   // already has it
        if (std::string(c.key) == "selective_attention" && !config.causal) continue;
        mechanism_->addItem(tr(c.label), QString::fromLatin1(c.key));
    }
    form->addRow(tr("Mechanism"), mechanism_);

    try {
        task_ = trainedTask(modelDir.toStdString());
    } catch (const std::exception&) {
        task_.reset();
    }
    useTask_ = new QRadioButton(task_ ? tr("The task it was trained on (%1)").arg(QString::fromStdString(task_->name))
                                      : tr("The task it was trained on (unknown for this model)"), this);
    useTask_->setEnabled(task_.has_value());
    useText_ = new QRadioButton(tr("A text file, in windows of"), this);
    (task_ ? useTask_ : useText_)->setChecked(true);
    form->addRow(tr("Learn from"), useTask_);
    auto* textRow = new QHBoxLayout;
    context_ = new QSpinBox(this);
    context_->setRange(2, std::max(2, config.nPositions));
    context_->setValue(std::min(128, config.nPositions));
    context_->setSuffix(tr(" tokens"));
    textFile_ = new QLineEdit(this);
    textFile_->setPlaceholderText(tr("a UTF-8 text file"));
    auto* browse = new QPushButton(tr("Browse..."), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Text to fit on"), QFileInfo(modelDir_).absolutePath());
        if (!f.isEmpty()) {
            textFile_->setText(f);
            useText_->setChecked(true);
        }
    });
    textRow->addWidget(useText_);
    textRow->addWidget(context_);
    textRow->addWidget(textFile_, 1);
    textRow->addWidget(browse);
    form->addRow(QString(), textRow);

    lambda_ = new QLineEdit(this);
    lambda_->setToolTip(tr("The penalty's weight: larger closes more heads or shortens spans. A list (0.01, 0.1, 1) "
                           "fits one model per lambda and draws them beside pruning by importance (docs/fitting.md)"));
    form->addRow(tr("Lambda"), lambda_);
    steps_ = new QSpinBox(this);
    steps_->setRange(1, 1000000);
    form->addRow(tr("Steps"), steps_);
    device_ = new QComboBox(this);
    device_->addItem(QStringLiteral("cpu"));
    if (Engine::cudaAvailable()) device_->addItem(QStringLiteral("cuda"));
    form->addRow(tr("Device"), device_);
    trainAll_ = new QCheckBox(tr("Fine-tune every weight too (else they stay frozen)"), this);
    form->addRow(QString(), trainAll_);
    out_ = new QLineEdit(this);
    form->addRow(tr("Save as"), out_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Fit"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
    connect(mechanism_, &QComboBox::currentIndexChanged, this, &FitDialog::mechanismChanged);
    mechanismChanged();
}

void FitDialog::mechanismChanged() {
    const QString key = mechanism_->currentData().toString();
    FitConfig defaults;
    defaults.mechanism = key.toStdString();
    lambda_->setText(QString::number(defaults.lambdaUsed()));
    steps_->setValue(key == QLatin1String("adaptive_span") ? 400 : 300);
    const bool selective = key == QLatin1String("selective_attention");
    trainAll_->setChecked(selective || trainAll_->isChecked());
    trainAll_->setEnabled(!selective);   // it has no parameters of its own
    out_->setText(freeFitFolder(modelDir_, key));
}

FitConfig FitDialog::config() const {
    FitConfig f;
    f.modelDir = modelDir_.toStdString();
    f.mechanism = mechanism_->currentData().toString().toStdString();
    if (useTask_->isChecked() && task_) f.task = task_;
    else {
        f.textFile = textFile_->text().toStdString();
        f.context = context_->value();
    }
    const std::vector<double> sweep = sweepLambdas();
    bool ok = false;
    const double lambda = sweep.empty() ? lambda_->text().toDouble(&ok) : sweep.front();
    f.lambda = ok || !sweep.empty() ? lambda : -1.0;   // not a number: refused by name when the fit starts
    f.steps = steps_->value();
    f.device = device_->currentText().toStdString();
    f.trainAll = trainAll_->isChecked();
    return f;
}

QString FitDialog::outDir() const { return out_->text(); }

std::vector<double> FitDialog::sweepLambdas() const {
    const QStringList parts = lambda_->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (parts.size() < 2) return {};
    std::vector<double> out;
    for (const QString& part : parts) {
        bool ok = false;
        const double v = part.trimmed().toDouble(&ok);
        out.push_back(ok ? v : -1.0);   // refused by name when the sweep starts
    }
    return out;
}

} // namespace headlight
