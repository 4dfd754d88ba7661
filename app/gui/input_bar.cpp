#include "input_bar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTimer>
#include <QVBoxLayout>

namespace headlight {

InputBar::InputBar(QWidget* parent)
    : QWidget(parent), edit_(new QLineEdit(this)), device_(new QComboBox(this)), count_(new QLabel(this)),
      problem_(new QLabel(this)), hint_(new QLabel(this)), idsLabel_(new QLabel(tr("Token ids:"), this)),
      caption_(new QLabel(this)), run_(new QPushButton(tr("Run"), this)), cancel_(new QPushButton(tr("Cancel"), this)),
      targetRow_(new QWidget(this)), target_(new QLineEdit(targetRow_)),
      translate_(new QPushButton(tr("Translate"), targetRow_)), debounce_(new QTimer(this)) {
    edit_->setPlaceholderText(tr("Type a text: the views follow as you type"));
    idsLabel_->setObjectName(QStringLiteral("tokenIdsLabel"));
    idsLabel_->hide();
    edit_->setClearButtonEnabled(true);
    edit_->setObjectName(QStringLiteral("textInput"));
    device_->setToolTip(tr("Where the model runs"));
    device_->setObjectName(QStringLiteral("deviceSelector"));
    cancel_->setEnabled(false);
    caption_->setObjectName(QStringLiteral("modelCaption"));
    caption_->setWordWrap(true);
    caption_->setTextFormat(Qt::PlainText);
    // Two lines at most (the whole text on hover), so the caption never makes the window taller than a laptop's
    // screen allows.
    caption_->setFixedHeight(2 * caption_->fontMetrics().lineSpacing() + 2);
    caption_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    caption_->hide();
    problem_->setObjectName(QStringLiteral("textProblem"));
    problem_->setStyleSheet(QStringLiteral("color: #d62728;"));
    problem_->setWordWrap(true);
    problem_->hide();
    hint_->setObjectName(QStringLiteral("enterHint"));
    hint_->setText(tr("Long text: press Enter to run"));
    hint_->setStyleSheet(QStringLiteral("color: palette(mid);"));
    hint_->hide();
    count_->setObjectName(QStringLiteral("tokenCount"));
    count_->setMinimumWidth(90);

    auto* row = new QHBoxLayout;
    sourceLabel_ = new QLabel(tr("Source:"), this);
    sourceLabel_->setToolTip(tr("The text the encoder reads"));
    sourceLabel_->hide();
    row->addWidget(sourceLabel_);
    row->addWidget(idsLabel_);
    row->addWidget(edit_, 1);
    row->addWidget(hint_);
    row->addWidget(count_);
    row->addWidget(device_);
    row->addWidget(run_);
    row->addWidget(cancel_);
    // The target side of an encoder-decoder model, under the source.
    target_->setObjectName(QStringLiteral("targetInput"));
    target_->setClearButtonEnabled(true);
    target_->setPlaceholderText(tr("Target text (teacher forcing), or Translate to fill it with the model's own translation"));
    translate_->setObjectName(QStringLiteral("translateButton"));
    translate_->setToolTip(tr("Greedy decoding: the model writes the target, token by token, from the source"));
    auto* targetLayout = new QHBoxLayout(targetRow_);
    targetLayout->setContentsMargins(0, 0, 0, 0);
    auto* targetLabel = new QLabel(tr("Target:"), targetRow_);
    targetLayout->addWidget(targetLabel);
    targetLayout->addWidget(target_, 1);
    targetLayout->addWidget(translate_);
    targetRow_->hide();
    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(6, 6, 6, 2);
    column->addLayout(row);
    column->addWidget(targetRow_);
    column->addWidget(caption_);
    column->addWidget(problem_);

    debounce_->setSingleShot(true);
    debounce_->setInterval(kTypingDelayMs);
    connect(edit_, &QLineEdit::textEdited, this, [this](const QString& typed) {
        // QLineEdit keeps at most maxLength() characters (32767) and drops the rest of a paste without a word.
        if (typed.size() >= edit_->maxLength())
            showProblem(tr("The text box holds at most %1 characters: the rest of the paste was left out.").arg(edit_->maxLength()));
        if (typed.size() > kLiveRunChars) {   // a long text (a paste, an edit of one) waits for Enter
            debounce_->stop();
            hint_->show();
            return;
        }
        hint_->hide();
        debounce_->start();
    });
    connect(debounce_, &QTimer::timeout, this, [this] { emit runRequested(text(), false); });
    auto runNow = [this] {
        debounce_->stop();
        hint_->hide();
        emit runRequested(text(), true);
    };
    connect(edit_, &QLineEdit::returnPressed, this, runNow);
    connect(target_, &QLineEdit::textEdited, this, [this] { debounce_->start(); });
    connect(target_, &QLineEdit::returnPressed, this, runNow);
    connect(translate_, &QPushButton::clicked, this, &InputBar::translateRequested);
    connect(run_, &QPushButton::clicked, this, runNow);
    connect(cancel_, &QPushButton::clicked, this, &InputBar::cancelRequested);
    connect(device_, &QComboBox::currentTextChanged, this, &InputBar::deviceChanged);
}

QString InputBar::text() const { return edit_->text(); }

void InputBar::setText(const QString& text) {
    edit_->setText(text);
    hint_->hide();
}

void InputBar::setEncoderDecoder(bool encoderDecoder) {
    targetRow_->setVisible(encoderDecoder);
    sourceLabel_->setVisible(encoderDecoder);
    edit_->setPlaceholderText(encoderDecoder ? tr("Source text: the encoder reads it") : tr("Type a text: the views follow as you type"));
}

bool InputBar::encoderDecoder() const { return !targetRow_->isHidden(); }

QString InputBar::target() const { return target_->text(); }

void InputBar::setTarget(const QString& target) { target_->setText(target); }

void InputBar::showTranslationRun(int sourceTokens, int targetTokens, int maxTokens, int droppedSource, int droppedTarget) {
    count_->setText(tr("%1 \u2192 %2 tokens").arg(sourceTokens).arg(targetTokens));
    QStringList cut;
    if (droppedSource > 0) cut << tr("the source's last %n token(s)", nullptr, droppedSource);
    if (droppedTarget > 0) cut << tr("the target's last %n token(s)", nullptr, droppedTarget);
    problem_->setText(tr("Longer than this model allows (%1 tokens a side): %2 are not shown.").arg(maxTokens).arg(cut.join(tr(" and "))));
    problem_->setVisible(!cut.isEmpty());
}

bool InputBar::waitingForEnter() const { return !hint_->isHidden(); }

void InputBar::setDevices(const QStringList& devices, const QString& current) {
    const QSignalBlocker block(device_);
    device_->clear();
    device_->addItems(devices);
    device_->setCurrentText(devices.contains(current) ? current : devices.value(0));
}

QString InputBar::device() const { return device_->currentText(); }

void InputBar::setTokenIdsOnly(bool idsOnly, int64_t vocabSize) {
    idsLabel_->setVisible(idsOnly);
    if (!idsOnly) {
        edit_->setPlaceholderText(tr("Type a text: the views follow as you type"));
        edit_->setToolTip({});
        return;
    }
    const QString range = QStringLiteral("0..%1").arg(vocabSize - 1);
    edit_->setPlaceholderText(tr("Token ids %1, e.g. 12 7 93 or 12,7,93").arg(range));
    idsLabel_->setToolTip(tr("This model has no tokenizer files: type its token ids (%1), separated by spaces or commas").arg(range));
    edit_->setToolTip(idsLabel_->toolTip());
}

void InputBar::showInputKind(const RunSnapshot& run, bool newModel) {
    const bool idsOnly = !run.model->canEncode;
    const int64_t vocabSize = run.model->config.vocabSize;
    setTokenIdsOnly(idsOnly, vocabSize);
    if (newModel && idsOnly && text() != run.text) {
        setText(run.text);
        showProblem(tr("This model has no tokenizer files: it opened on token ids %1. Type others (0..%2).")
                        .arg(run.text)
                        .arg(vocabSize - 1));
    }
}

void InputBar::showCaption(const QString& caption) {
    caption_->setText(caption.isEmpty() ? QString() : tr("What to look at: %1").arg(caption));
    caption_->setToolTip(caption_->text());
    caption_->setVisible(!caption.isEmpty());
}

QString InputBar::caption() const { return caption_->text(); }

bool InputBar::tokenIdsOnly() const { return !idsLabel_->isHidden(); }

QString InputBar::placeholder() const { return edit_->placeholderText(); }

void InputBar::showRun(int tokens, int maxTokens, int droppedTokens) {
    count_->setText(tr("%n token(s)", nullptr, tokens));
    if (droppedTokens > 0) {
        problem_->setText(tr("The text is longer than this model allows (%1 tokens): the last %2 are not shown.")
                              .arg(maxTokens)
                              .arg(droppedTokens));
        problem_->show();
    } else {
        problem_->hide();
    }
}

void InputBar::showProblem(const QString& message) {
    problem_->setText(message);
    problem_->show();
}

void InputBar::setBusy(bool busy) { cancel_->setEnabled(busy); }

} // namespace headlight
