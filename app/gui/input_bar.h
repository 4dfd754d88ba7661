#pragma once
// The text box and its controls: runs as you type (debounced) and on Enter, shows the token count and
// warnings, picks the device, cancels long work. A text longer than kLiveRunChars runs on Enter (or Run) only:
// a long run takes seconds, and rerunning it on every key would keep the worker busy with texts nobody reads.
#include "run_snapshot.h"

#include <QString>
#include <QStringList>
#include <QWidget>
#include <cstdint>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;

namespace headlight {

class InputBar : public QWidget {
    Q_OBJECT
public:
    explicit InputBar(QWidget* parent = nullptr);

    QString text() const;
    // Sets the text without starting a run.
    void setText(const QString& text);
    // An encoder-decoder model: the text box is its source, and a second row holds the target (typing there runs
    // as the source does) and a Translate button that fills it with the model's own translation.
    void setEncoderDecoder(bool encoderDecoder);
    bool encoderDecoder() const;
    QString target() const;
    void setTarget(const QString& target);   // without starting a run
    void setDevices(const QStringList& devices, const QString& current);
    QString device() const;
    // A model without tokenizer files takes token ids: the box says so (placeholder, a "Token ids" label) and
    // which ids are valid (0..vocabSize-1). Off: text, as usual.
    void setTokenIdsOnly(bool idsOnly, int64_t vocabSize = 0);
    bool tokenIdsOnly() const;
    // After a run: text or token ids, as `run`'s model takes; a new model without a tokenizer that opened on
    // starting ids (not the text asked for) shows them, and says so.
    void showInputKind(const RunSnapshot& run, bool newModel);
    // The model's caption (what to look at, from its view.json) under the text box, hidden when empty.
    void showCaption(const QString& caption);
    QString caption() const;
    QString placeholder() const;

    // After a run: "42 tokens", with a warning when the text was cut to the model's maximum.
    void showRun(int tokens, int maxTokens, int droppedTokens);
    // The same for an encoder-decoder model: both sides' counts, and a warning for each side that was cut.
    void showTranslationRun(int sourceTokens, int targetTokens, int maxTokens, int droppedSource, int droppedTarget);
    // A problem with the text (shown inline, in red, until the next successful run).
    void showProblem(const QString& message);
    void setBusy(bool busy);
    // Debounce interval for runs while typing (ms).
    static constexpr int kTypingDelayMs = 80;
    // Texts up to this many characters run as you type; longer ones on Enter.
    static constexpr int kLiveRunChars = 2000;
    // Whether typing has changed the text since it last ran (a long text waiting for Enter).
    bool waitingForEnter() const;

signals:
    // `explicitRun`: Enter or the Run button (errors then get a message box), else typing.
    void runRequested(const QString& text, bool explicitRun);
    void deviceChanged(const QString& device);
    void cancelRequested();
    void translateRequested();

private:
    QLineEdit* edit_;
    QComboBox* device_;
    QLabel* count_;
    QLabel* problem_;
    QLabel* hint_;
    QLabel* idsLabel_;   // "Token ids:" before the box, for a model without a tokenizer
    QLabel* caption_;    // what to look at in this model (its view.json's caption)
    QPushButton* run_;
    QPushButton* cancel_;
    QWidget* targetRow_;
    QLabel* sourceLabel_ = nullptr;
    QLineEdit* target_;
    QPushButton* translate_;
    QTimer* debounce_;
};

} // namespace headlight
