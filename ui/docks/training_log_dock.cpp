#include "ui/docks/training_log_dock.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace samlabel::ui {

TrainingLogDock::TrainingLogDock(QWidget* parent) : QDockWidget(tr("Training"), parent) {
    setObjectName(QStringLiteral("TrainingLogDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    // The status on its own line above the buttons: beside them, in a dock next
    // to the memory gauge, it wrapped into a narrow column.
    auto* bar = new QHBoxLayout;
    status_ = new QLabel(tr("No training run yet (Tools → Unload & Train…)"), body);
    status_->setWordWrap(true);
    cancel_ = new QPushButton(tr("Cancel"), body);
    cancel_->setEnabled(false);
    reload_ = new QPushButton(tr("Reload model"), body);
    reload_->setEnabled(false);
    reload_->setToolTip(tr("Load the model that was unloaded for training"));
    bar->addStretch(1);
    bar->addWidget(cancel_);
    bar->addWidget(reload_);
    layout->addWidget(status_);
    log_ = new QPlainTextEdit(body);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(kMaxLines);
    log_->setLineWrapMode(QPlainTextEdit::NoWrap);
    log_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addLayout(bar);
    layout->addWidget(log_, 1);
    setWidget(body);

    connect(cancel_, &QPushButton::clicked, this, [this] {
        if (launcher_) launcher_->cancel();
        appendLine(tr("[samlabel] cancel requested"));
    });
    connect(reload_, &QPushButton::clicked, this, [this] {
        reload_->setEnabled(false);
        Q_EMIT reloadRequested();
    });
}

void TrainingLogDock::attach(service::TrainingLauncher* launcher) {
    if (launcher_) launcher_->disconnect(this);
    launcher_ = launcher;
    if (!launcher) return;
    connect(launcher, &service::TrainingLauncher::stateChanged, this, &TrainingLogDock::onStateChanged);
    connect(launcher, &service::TrainingLauncher::outputLine, this, &TrainingLogDock::appendLine);
    connect(launcher, &service::TrainingLauncher::failed, this,
            [this](const QString& message) { appendLine(tr("[samlabel] %1").arg(message), true); });
    connect(launcher, &service::TrainingLauncher::unloadFinished, this, [this](const service::UnloadReply& r) {
        if (!r.ok()) return;  // failed() says why
        appendLine(r.was_loaded ? tr("[samlabel] model unloaded in %1 ms: freed %2 MB of VRAM (%3 MB left to samlabel) and %4 MB of RAM")
                                      .arg(r.duration_ms, 0, 'f', 0)
                                      .arg(r.freed_vram_mb, 0, 'f', 0)
                                      .arg(r.vram_after_mb, 0, 'f', 0)
                                      .arg(r.freed_ram_mb, 0, 'f', 0)
                                : tr("[samlabel] no model was loaded"));
    });
    connect(launcher, &service::TrainingLauncher::finished, this, [this](int exit_code, bool crashed, bool cancelled) {
        appendLine(cancelled ? tr("[samlabel] training cancelled")
                   : crashed ? tr("[samlabel] the training command crashed")
                             : tr("[samlabel] the training command exited with code %1").arg(exit_code));
    });
}

QString TrainingLogDock::text() const { return log_->toPlainText(); }

void TrainingLogDock::appendLine(const QString& line, bool from_stderr) {
    Q_UNUSED(from_stderr);  // Ultralytics prints its progress on stderr: no alarm colour
    log_->appendPlainText(line);
}

void TrainingLogDock::onStateChanged(service::TrainingLauncher::State state) {
    using State = service::TrainingLauncher::State;
    const QString time = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    switch (state) {
        case State::Unloading:
            log_->clear();
            status_->setText(tr("Unloading the model…"));
            appendLine(tr("[samlabel] %1 unloading the model to free the GPU").arg(time));
            break;
        case State::Starting: status_->setText(tr("Starting the training command…")); break;
        case State::Running:
            status_->setText(tr("Training is running (the memory gauge shows it take the GPU)"));
            appendLine(tr("[samlabel] %1 started: %2").arg(time, launcher_ ? launcher_->job().command_line : QString()));
            break;
        case State::Finished: status_->setText(tr("Training finished")); break;
        case State::Failed: status_->setText(tr("Training did not complete: see the log")); break;
        case State::Cancelled: status_->setText(tr("Training cancelled")); break;
        case State::Idle: break;
    }
    const bool active = launcher_ && launcher_->isActive();
    cancel_->setEnabled(active);
    reload_->setEnabled(!active && state != State::Idle);
}

}  // namespace samlabel::ui
