#pragma once
// The output of an "Unload & train" run: each step (unload, the memory it
// gave back, the command), then the command's stdout/stderr line by line,
// with Cancel while it runs and "Reload model" once it has ended.
#include "core/service/training_launcher.h"

#include <QDockWidget>
#include <QPointer>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace samlabel::ui {

class TrainingLogDock : public QDockWidget {
    Q_OBJECT
public:
    explicit TrainingLogDock(QWidget* parent = nullptr);

    // Follows this launcher's runs (one at a time).
    void attach(service::TrainingLauncher* launcher);

    QString text() const;  // the whole log (tests)
    QPushButton* cancelButton() const { return cancel_; }
    QPushButton* reloadButton() const { return reload_; }

    // Lines kept; older ones scroll away (a long training prints a lot).
    static constexpr int kMaxLines = 20000;

public Q_SLOTS:
    void appendLine(const QString& line, bool from_stderr = false);

Q_SIGNALS:
    void reloadRequested();

private:
    void onStateChanged(service::TrainingLauncher::State state);

    QPointer<service::TrainingLauncher> launcher_;
    QLabel* status_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QPushButton* reload_ = nullptr;
};

}  // namespace samlabel::ui
