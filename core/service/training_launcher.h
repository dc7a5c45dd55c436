#pragma once
// "Unload & train": hands the GPU from the annotation model to a training
// command, in this order and no other:
//   1. unload through the model backend (the same path as the Unload button),
//   2. verify the memory came back (the backend reports no model and, on a
//      GPU, this process's VRAM at most residual_vram_limit_mb: the CUDA
//      context stays, the weights and caches must not),
//   3. start the command as a QProcess, its output streamed line by line,
//   4. report how it ended, so the UI can offer "Reload model".
// Cancel stops whichever step runs: an unload in flight completes but the
// command never starts; a running command is asked to stop as from the
// console (SIGTERM; on Windows Ctrl+Break to the process group it was started
// in, see core/engine/platform/console_break.h), then kill() after
// kill_timeout_ms.
#include "core/service/model_backend.h"

#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

class QTimer;

namespace samlabel::service {

struct TrainingJob {
    QString command_line;          // e.g. yolo segment train data="/x/data.yaml"
    QString working_dir;           // empty: the export folder's parent or the current dir
    double residual_vram_limit_mb = 1024.0;  // allowed to remain after the unload (CUDA context)
    int kill_timeout_ms = 5000;    // between the stop request and kill() on cancel
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
};

class TrainingLauncher : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Unloading, Starting, Running, Finished, Failed, Cancelled };
    Q_ENUM(State)

    explicit TrainingLauncher(ModelBackend* backend, QObject* parent = nullptr);
    ~TrainingLauncher() override;  // stops a running command (stop request, then kill)

    // False with *error when something already runs or the command is empty/unparsable.
    bool start(const TrainingJob& job, QString* error);
    void cancel();

    State state() const { return state_; }
    bool isActive() const { return state_ == State::Unloading || state_ == State::Starting || state_ == State::Running; }
    const UnloadReply& unloadReply() const { return unload_reply_; }
    qint64 unloadFinishedAtMs() const { return unload_finished_at_ms_; }  // unix epoch ms, 0 before
    qint64 processStartedAtMs() const { return process_started_at_ms_; }
    int exitCode() const { return exit_code_; }
    const TrainingJob& job() const { return job_; }
    QString failureMessage() const { return failure_; }

Q_SIGNALS:
    void stateChanged(samlabel::service::TrainingLauncher::State state);
    void unloadFinished(samlabel::service::UnloadReply reply);
    // One line of the command's output (without the line break).
    void outputLine(QString line, bool from_stderr);
    // A step failed or the command could not start; the message says why.
    void failed(QString message);
    // The command ended (cancelled: stopped by cancel()).
    void finished(int exit_code, bool crashed, bool cancelled);

private:
    void setState(State s);
    void onUnloaded(const UnloadReply& reply);
    void fail(const QString& message);
    void drain(bool from_stderr, bool flush);

    QPointer<ModelBackend> backend_;
    QProcess* process_ = nullptr;
    QTimer* kill_timer_ = nullptr;
    TrainingJob job_;
    State state_ = State::Idle;
    bool cancel_requested_ = false;
    UnloadReply unload_reply_;
    qint64 unload_finished_at_ms_ = 0;
    qint64 process_started_at_ms_ = 0;
    int exit_code_ = -1;
    QString failure_;
    QByteArray partial_[2];  // stdout, stderr: bytes after the last line break
};

const char* training_state_name(TrainingLauncher::State state);

}  // namespace samlabel::service
