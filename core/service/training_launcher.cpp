#include "core/service/training_launcher.h"
#include "core/engine/platform/console_break.h"

#include <QDateTime>
#include <QTimer>

#include <string>

namespace samlabel::service {

const char* training_state_name(TrainingLauncher::State state) {
    switch (state) {
        case TrainingLauncher::State::Idle: return "idle";
        case TrainingLauncher::State::Unloading: return "unloading";
        case TrainingLauncher::State::Starting: return "starting";
        case TrainingLauncher::State::Running: return "running";
        case TrainingLauncher::State::Finished: return "finished";
        case TrainingLauncher::State::Failed: return "failed";
        case TrainingLauncher::State::Cancelled: return "cancelled";
    }
    return "idle";
}

namespace {

// The console stop request (SIGTERM; Ctrl+Break to its process group on
// Windows, where terminate() posts WM_CLOSE, which a console program never
// sees); terminate() when it cannot be delivered.
void ask_to_stop(QProcess& process) {
    std::string error;
    if (engine::request_console_break(process.processId(), &error)) return;
    qWarning("training command: %s; trying QProcess::terminate()", error.c_str());
    process.terminate();
}

}  // namespace

TrainingLauncher::TrainingLauncher(ModelBackend* backend, QObject* parent) : QObject(parent), backend_(backend) {
    kill_timer_ = new QTimer(this);
    kill_timer_->setSingleShot(true);
    connect(kill_timer_, &QTimer::timeout, this, [this] {
        if (process_ && process_->state() != QProcess::NotRunning) process_->kill();
    });
}

TrainingLauncher::~TrainingLauncher() {
    if (process_ && process_->state() != QProcess::NotRunning) {
        process_->disconnect(this);
        ask_to_stop(*process_);
        if (!process_->waitForFinished(job_.kill_timeout_ms)) {
            process_->kill();
            process_->waitForFinished(2000);
        }
    }
}

bool TrainingLauncher::start(const TrainingJob& job, QString* error) {
    auto refuse = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (isActive()) return refuse(QStringLiteral("a training command is already running"));
    if (!backend_) return refuse(QStringLiteral("no model backend"));
    const QStringList parts = QProcess::splitCommand(job.command_line);
    if (parts.isEmpty()) return refuse(QStringLiteral("the training command is empty"));
    job_ = job;
    cancel_requested_ = false;
    unload_reply_ = {};
    unload_finished_at_ms_ = 0;
    process_started_at_ms_ = 0;
    exit_code_ = -1;
    failure_.clear();
    partial_[0].clear();
    partial_[1].clear();
    setState(State::Unloading);
    backend_->unload().then(this, [this](const UnloadReply& reply) { onUnloaded(reply); });
    return true;
}

void TrainingLauncher::cancel() {
    cancel_requested_ = true;
    if (state_ == State::Running && process_) {
        ask_to_stop(*process_);  // Ultralytics keeps its last checkpoint and exits
        kill_timer_->start(job_.kill_timeout_ms);
    }
    // Unloading: the unload completes (memory must not be left half freed),
    // then onUnloaded sees the request and starts nothing.
}

void TrainingLauncher::onUnloaded(const UnloadReply& reply) {
    unload_reply_ = reply;
    unload_finished_at_ms_ = QDateTime::currentMSecsSinceEpoch();
    Q_EMIT unloadFinished(reply);
    if (cancel_requested_) {
        setState(State::Cancelled);
        Q_EMIT finished(-1, false, true);
        return;
    }
    if (!reply.ok()) return fail(QStringLiteral("the model could not be unloaded: %1").arg(reply.message));
    // Verify with a fresh look, not only the reply: nothing may have been
    // loaded again in between, and the VRAM must really be back.
    const BackendStatus now = backend_ ? backend_->status() : BackendStatus{};
    if (now.model_loaded)
        return fail(QStringLiteral("a model is loaded again (state %1); training was not started").arg(now.state));
    // A share that cannot be measured is not a share that came back.
    if (now.vram_total_mb > 0 && !now.vram_used_known)
        return fail(QStringLiteral("this process's VRAM cannot be measured on this machine, so the unload cannot be "
                                   "verified; training was not started (unload, then start it yourself)"));
    if (now.vram_total_mb > 0 && now.vram_used_mb > job_.residual_vram_limit_mb)
        return fail(QStringLiteral("this process still holds %1 MB of VRAM after the unload (limit %2 MB); training was not started")
                        .arg(now.vram_used_mb, 0, 'f', 0)
                        .arg(job_.residual_vram_limit_mb, 0, 'f', 0));

    setState(State::Starting);
    QStringList parts = QProcess::splitCommand(job_.command_line);
    const QString program = parts.takeFirst();
    delete process_;
    process_ = new QProcess(this);
    process_->setProcessEnvironment(job_.environment);
    if (!job_.working_dir.isEmpty()) process_->setWorkingDirectory(job_.working_dir);
#ifdef Q_OS_WIN
    // A process group of its own, so cancel's Ctrl+Break reaches the command
    // (and its data loader workers) and not samlabel.
    process_->setCreateProcessArgumentsModifier(
        [](QProcess::CreateProcessArguments* arguments) { arguments->flags |= engine::kNewProcessGroupCreationFlag; });
#endif
    connect(process_, &QProcess::readyReadStandardOutput, this, [this] { drain(false, false); });
    connect(process_, &QProcess::readyReadStandardError, this, [this] { drain(true, false); });
    connect(process_, &QProcess::started, this, [this] {
        process_started_at_ms_ = QDateTime::currentMSecsSinceEpoch();
        setState(State::Running);
        if (cancel_requested_) cancel();
    });
    connect(process_, &QProcess::errorOccurred, this, [this, program](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            fail(QStringLiteral("could not start '%1': %2").arg(program, process_->errorString()));
    });
    connect(process_, &QProcess::finished, this, [this](int exit_code, QProcess::ExitStatus status) {
        kill_timer_->stop();
        drain(false, true);
        drain(true, true);
        exit_code_ = exit_code;
        const bool crashed = status == QProcess::CrashExit;
        if (cancel_requested_) setState(State::Cancelled);
        else if (crashed || exit_code != 0) setState(State::Failed);
        else setState(State::Finished);
        Q_EMIT finished(exit_code, crashed, cancel_requested_);
    });
    process_->start(program, parts);
}

void TrainingLauncher::drain(bool from_stderr, bool flush) {
    if (!process_) return;
    QByteArray& buffer = partial_[from_stderr ? 1 : 0];
    buffer += from_stderr ? process_->readAllStandardError() : process_->readAllStandardOutput();
    qsizetype start = 0;
    for (;;) {
        // Progress bars redraw with '\r': treat it as a line end too.
        qsizetype end = start;
        while (end < buffer.size() && buffer[end] != '\n' && buffer[end] != '\r') ++end;
        if (end >= buffer.size()) break;
        if (end > start) Q_EMIT outputLine(QString::fromUtf8(buffer.constData() + start, end - start), from_stderr);
        start = end + 1;
    }
    buffer.remove(0, start);
    if (flush && !buffer.isEmpty()) {
        Q_EMIT outputLine(QString::fromUtf8(buffer), from_stderr);
        buffer.clear();
    }
}

void TrainingLauncher::fail(const QString& message) {
    failure_ = message;
    setState(State::Failed);
    Q_EMIT failed(message);
}

void TrainingLauncher::setState(State s) {
    if (state_ == s) return;
    state_ = s;
    Q_EMIT stateChanged(s);
}

}  // namespace samlabel::service
