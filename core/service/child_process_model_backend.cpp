#include "core/service/child_process_model_backend.h"

#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "core/engine/utf8_path.h"
#include "core/service/api_token.h"
#include "core/service/control_api_runtime_wire.h"
#include "core/service/detection_blocker.h"
#include "core/service/future_result.h"
#include "core/service/remote_model_backend.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QLocalServer>
#include <QPromise>
#include <QRegularExpression>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <csignal>
#include <utility>

#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#include <unistd.h>
#endif

namespace samlabel::service {

namespace {

constexpr double kMb = 1024.0 * 1024.0;
constexpr qsizetype kOutputTailBytes = 4096;
// How long a call whose connection broke waits for the child's death to be reported.
constexpr int kConnectionLossGraceMs = 2000;

template <typename Reply>
Reply error_reply(BackendError error, const QString& message) {
    Reply r;
    r.error = error;
    r.message = message;
    return r;
}

QString signal_name(int signal) {
    switch (signal) {
        case SIGKILL: return QStringLiteral("SIGKILL: killed, for example by the out-of-memory killer");
        case SIGSEGV: return QStringLiteral("SIGSEGV: a crash");
        case SIGABRT: return QStringLiteral("SIGABRT: an abort");
        case SIGTERM: return QStringLiteral("SIGTERM: asked to stop by someone else");
#ifdef SIGBUS
        case SIGBUS: return QStringLiteral("SIGBUS: a memory-mapped file went away");
#endif
        default: return {};
    }
}

bool same_settings(const RuntimeSettings& a, const RuntimeSettings& b) {
    return a.embedding_cache_bytes == b.embedding_cache_bytes && a.disk_cache_dir == b.disk_cache_dir &&
           a.auto_unload_after_ms == b.auto_unload_after_ms &&
           a.encode_budget.keep_free_ram_bytes == b.encode_budget.keep_free_ram_bytes &&
           a.encode_budget.max_vram_bytes == b.encode_budget.max_vram_bytes;
}

bool same_settings(const std::optional<engine::ConvertedWeightsSettings>& a, const std::optional<engine::ConvertedWeightsSettings>& b) {
    if (!a || !b) return !a && !b;
    return a->dir == b->dir && a->budget_bytes == b->budget_bytes;
}

}  // namespace

ChildProcessModelBackend::ChildProcessModelBackend(ChildProcessOptions options, QObject* parent)
    : ModelBackend(parent), options_(std::move(options)) {
    if (options_.cli_path.isEmpty()) options_.cli_path = defaultCliPath();
    if (!options_.probe) options_.probe = engine::make_system_memory_probe();
}

ChildProcessModelBackend::~ChildProcessModelBackend() {
    failPending(QStringLiteral("samlabel is closing: the model process was ended"));
    if (process_) {
        process_->disconnect(this);
        process_->kill();
        process_->waitForFinished(5000);
    }
    if (!click_channel_name_.isEmpty()) QLocalServer::removeServer(click_channel_name_);  // killed: its socket file stays
}

QString ChildProcessModelBackend::defaultCliPath() {
    // Packagers and tests whose executables do not sit beside samlabel-cli name it.
    if (const QString configured = qEnvironmentVariable("SAMLABEL_CLI"); !configured.isEmpty()) return configured;
#ifdef Q_OS_WIN
    const QString name = QStringLiteral("samlabel-cli.exe");
#else
    const QString name = QStringLiteral("samlabel-cli");
#endif
    return QDir(QCoreApplication::applicationDirPath()).filePath(name);
}

qint64 ChildProcessModelBackend::childPid() const { return process_ ? process_->processId() : 0; }

RemoteModelBackend* ChildProcessModelBackend::childBackend() const {
    return state_ == ChildState::Running ? remote_.data() : nullptr;
}

QString ChildProcessModelBackend::whereText() const {
    const qint64 pid = childPid();
    return pid ? QStringLiteral("model process (pid %1)").arg(pid) : QStringLiteral("model process (not running)");
}

void ChildProcessModelBackend::applyRuntimeSettings(const RuntimeSettings& settings) {
    runtime_ = settings;
    sendSettingsToChild();
}

void ChildProcessModelBackend::applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& settings) {
    converted_ = settings;
    sendSettingsToChild();
}

void ChildProcessModelBackend::sendSettingsToChild() {
    // A child still starting is sent the changes once it listens (onChildOutput).
    if (state_ != ChildState::Running || !remote_) return;
    wire::RuntimeSettingsUpdate update;
    if (!child_settings_known_ || !same_settings(runtime_, child_runtime_)) update.runtime = runtime_;
    if (converted_ && (!child_settings_known_ || !same_settings(converted_, child_converted_))) update.converted_weights = converted_;
    if (!update.runtime && !update.converted_weights) return;  // the panel re-applies on every option change
    child_runtime_ = runtime_;
    child_converted_ = converted_;
    child_settings_known_ = true;
    const QUrl url = remote_->url();
    remote_->sendModelProcessSettings(wire::to_json(update)).then(this, [this, url](const ApiCallResult& r) {
        if (r.ok()) return;
        // The child keeps what it had. Said where the user looks (a log line
        // alone left the panel showing settings the model did not run with),
        // and sent again with the next change, or the same one applied again.
        child_settings_known_ = false;
        const QString message = QStringLiteral("the model process did not take the new settings: %1").arg(r.describe(url));
        qWarning("samlabel: %s", qPrintable(message));
        Q_EMIT settingsNotApplied(message);
    });
}

void ChildProcessModelBackend::setImagesInView(const QString& on_screen, const QStringList& ahead) {
    in_view_on_screen_ = on_screen;
    in_view_ahead_ = ahead;
    if (remote_) remote_->setImagesInView(on_screen, ahead);  // sent now, or once its model is loaded
}

QStringList ChildProcessModelBackend::serveArguments() const {
    QStringList args{QStringLiteral("serve"),
                     QStringLiteral("--no-load"),
                     QStringLiteral("--allow-load-any-weights"),
                     QStringLiteral("--allow-read-local-images"),  // the GUI's image files: encode-ahead, ids = paths
                     QStringLiteral("--bind"),
                     QStringLiteral("127.0.0.1"),
                     QStringLiteral("--port"),
                     QStringLiteral("0"),
                     QStringLiteral("--embedding-cache-mb"),
                     QString::number(runtime_.embedding_cache_bytes >> 20),
                     QStringLiteral("--auto-unload-after-ms"),
                     QString::number(runtime_.auto_unload_after_ms),
                     QStringLiteral("--encode-keep-free-ram-mb"),
                     QString::number(runtime_.encode_budget.keep_free_ram_bytes >> 20),
                     QStringLiteral("--encode-max-vram-mb"),
                     QString::number(runtime_.encode_budget.max_vram_bytes >> 20)};
    if (!runtime_.disk_cache_dir.isEmpty()) args << QStringLiteral("--disk-cache") << runtime_.disk_cache_dir;
    // Settings changed later are sent to the running child (sendSettingsToChild).
    args << QStringLiteral("--allow-runtime-settings");
    if (options_.click_channel) args << QStringLiteral("--click-channel");
    if (converted_)
        args << QStringLiteral("--converted-weights")
             << (converted_->dir.empty() ? QStringLiteral("off") : QString::fromStdString(engine::path_to_utf8(converted_->dir)))
             << QStringLiteral("--converted-weights-budget-mb") << QString::number(converted_->budget_bytes >> 20);
    return args + options_.extra_arguments;
}

// ---- the child's life ----------------------------------------------------

void ChildProcessModelBackend::startChild() {
    state_ = ChildState::Starting;
    token_ = generate_api_token();
    stdout_buffer_.clear();
    output_tail_.clear();
    click_channel_name_.clear();
    process_ = new QProcess(this);
    // The token goes by environment: a command line is readable by every user
    // (/proc/PID/cmdline), a process's environment only by its owner.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SAMLABEL_TOKEN"), token_);
    process_->setProcessEnvironment(env);
    process_->setProcessChannelMode(QProcess::MergedChannels);
#ifdef Q_OS_LINUX
    // A GUI that is killed (SIGKILL, a crash) runs no destructor: the kernel
    // ends the child then, so no orphaned model keeps the GPU.
    const pid_t parent = ::getpid();
    process_->setChildProcessModifier([parent] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);  // the GUI died before prctl took effect
    });
#endif
    connect(process_, &QProcess::readyReadStandardOutput, this, &ChildProcessModelBackend::onChildOutput);
    connect(process_, &QProcess::finished, this, &ChildProcessModelBackend::onChildFinished);
    connect(process_, &QProcess::errorOccurred, this, &ChildProcessModelBackend::onChildError);
    connect(process_, &QProcess::started, this, [this] { last_pid_ = process_ ? process_->processId() : 0; });
    start_clock_.start();
    child_runtime_ = runtime_;  // on its command line
    child_converted_ = converted_;
    child_settings_known_ = true;
    process_->start(options_.cli_path, serveArguments());
    QTimer::singleShot(options_.start_timeout_ms, process_, [this] {
        if (state_ != ChildState::Starting) return;
        const QString message = QStringLiteral("the model process (%1) did not say where it listens within %2 s; it was ended. %3")
                                    .arg(options_.cli_path)
                                    .arg(options_.start_timeout_ms / 1000)
                                    .arg(lastOutput());
        for (auto& waiter : std::exchange(start_waiters_, {})) waiter(message);
        endChild();
    });
    Q_EMIT statusChanged();
}

void ChildProcessModelBackend::onChildOutput() {
    if (!process_) return;
    const QByteArray chunk = process_->readAllStandardOutput();
    output_tail_ += chunk;
    if (output_tail_.size() > kOutputTailBytes) output_tail_ = output_tail_.right(kOutputTailBytes);
    if (state_ != ChildState::Starting) return;
    stdout_buffer_ += chunk;
    static const QRegularExpression kListening(QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+)"));
    static const QRegularExpression kClickChannel(QStringLiteral("^samlabel-cli serve: click channel (\\S.*)$"));
    for (qsizetype end = stdout_buffer_.indexOf('\n'); end >= 0; end = stdout_buffer_.indexOf('\n')) {
        const QString line = QString::fromUtf8(stdout_buffer_.left(end)).trimmed();
        stdout_buffer_.remove(0, end + 1);
        if (const QRegularExpressionMatch c = kClickChannel.match(line); c.hasMatch()) {
            click_channel_name_ = c.captured(1);  // printed before "listening on"
            continue;
        }
        const QRegularExpressionMatch m = kListening.match(line);
        if (!m.hasMatch()) continue;
        auto* remote = new RemoteModelBackend(QUrl(m.captured(1)), token_, options_.poll_interval_ms, this);
        remote_ = remote;
        // Clicks go on the channel once it is open (HTTP until then).
        remote->setClickChannel(click_channel_name_);
        connect(remote, &ModelBackend::statusChanged, this, [this, remote] {
            if (remote->isReachable()) last_child_status_ = remote->status();
            Q_EMIT statusChanged();
        });
        connect(remote, &ModelBackend::loadProgress, this, &ModelBackend::loadProgress);
        connect(remote, &ModelBackend::loadFinished, this, &ModelBackend::loadFinished);
        // The child reads the GUI's files: it gets the images in view once its model is loaded.
        remote->setServerReadsImageFiles(true);
        connect(remote, &ModelBackend::imageEncodeStarted, this, &ModelBackend::imageEncodeStarted);
        connect(remote, &ModelBackend::imageEncodeProgress, this, &ModelBackend::imageEncodeProgress);
        connect(remote, &ModelBackend::imageEncoded, this, &ModelBackend::imageEncoded);
        remote->setImagesInView(in_view_on_screen_, in_view_ahead_);
        connect(remote, &ModelBackend::unloaded, this, [this](UnloadReply reply) {
            if (unloading_ || state_ != ChildState::Running) return;  // our own unload() reports once the child ended
            // Nobody else holds the token: the child's idle timer unloaded it.
            // End the process too, so the CUDA context goes as well.
            unloading_ = true;
            const BackendStatus before = last_child_status_;
            endChildThen([this, reply, before]() mutable {
                unloading_ = false;
                reply.automatic = true;
                reply.process_ended = true;
                reply.freed_ram_mb = qMax(reply.freed_ram_mb, before.ram_rss_mb);
                reply.ram_rss_after_mb = 0.0;
                reply.vram_after_mb = 0.0;
                Q_EMIT unloaded(reply);
                Q_EMIT statusChanged();
            });
        });
        state_ = ChildState::Running;
        stdout_buffer_.clear();
        sendSettingsToChild();  // what changed while it started
        for (auto& waiter : std::exchange(start_waiters_, {})) waiter(QString());
        Q_EMIT statusChanged();
        return;
    }
}

QString ChildProcessModelBackend::lastOutput() const {
    QStringList lines = QString::fromUtf8(output_tail_).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.isEmpty()) return {};
    while (lines.size() > 3) lines.removeFirst();
    return QStringLiteral("Its last output: ") + lines.join(QStringLiteral(" | "));
}

void ChildProcessModelBackend::endChild() {
    if (!process_) return;
    state_ = ChildState::Stopping;
    process_->terminate();
    QTimer::singleShot(options_.stop_grace_ms, process_, [p = process_] { p->kill(); });
    Q_EMIT statusChanged();
}

void ChildProcessModelBackend::endChildThen(std::function<void()> then) {
    if (!process_) return then();
    stop_waiters_.push_back(std::move(then));
    if (state_ != ChildState::Stopping) endChild();
}

void ChildProcessModelBackend::onChildError(QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart || !process_) return;  // the others end in finished()
    const QString message = QStringLiteral("cannot start the model process %1: %2").arg(options_.cli_path, process_->errorString());
    process_->deleteLater();
    process_ = nullptr;
    state_ = ChildState::None;
    for (auto& waiter : std::exchange(start_waiters_, {})) waiter(message);
    for (auto& then : std::exchange(stop_waiters_, {})) then();
    Q_EMIT statusChanged();
}

void ChildProcessModelBackend::onChildFinished(int exit_code, QProcess::ExitStatus status) {
    const bool expected = state_ == ChildState::Stopping;
    const qint64 pid = last_pid_;
    // On Unix a crash exit's code is the signal's number.
    QString how;
    if (status == QProcess::CrashExit) {
        const QString name = signal_name(exit_code);
        how = name.isEmpty() ? QStringLiteral("signal %1").arg(exit_code) : QStringLiteral("signal %1, %2").arg(exit_code).arg(name);
    } else {
        how = QStringLiteral("exit code %1").arg(exit_code);
    }
    const QString message = QStringLiteral("the model process (pid %1) ended unexpectedly (%2). The model is unloaded; your "
                                           "annotations are untouched; Load starts a new model process.%3")
                                .arg(pid)
                                .arg(how, output_tail_.isEmpty() ? QString() : QStringLiteral(" ") + lastOutput());
    if (remote_) remote_->deleteLater();
    remote_ = nullptr;
    process_->deleteLater();
    process_ = nullptr;
    state_ = ChildState::None;
    // A killed child leaves its click channel's socket file behind (Unix); its name was its own.
    if (!click_channel_name_.isEmpty()) QLocalServer::removeServer(click_channel_name_);
    click_channel_name_.clear();
    if (!expected) childLost(message);
    for (auto& then : std::exchange(stop_waiters_, {})) then();
    last_child_status_ = BackendStatus{};
    // A load asked for while the previous child was ending gets a new one.
    if (!start_waiters_.empty()) startChild();
    Q_EMIT statusChanged();
}

void ChildProcessModelBackend::childLost(const QString& message) {
    failPending(message);
    for (auto& waiter : std::exchange(start_waiters_, {})) waiter(message);
    UnloadReply reply;
    reply.was_loaded = last_child_status_.model_loaded;
    reply.device = last_child_status_.device;
    reply.freed_ram_mb = last_child_status_.ram_rss_mb;
    reply.freed_vram_mb = last_child_status_.vram_used_mb;
    reply.vram_measured = last_child_status_.vram_used_known;
    reply.automatic = true;
    reply.process_ended = true;
    reply.message = message;
    Q_EMIT unloaded(reply);
    Q_EMIT modelProcessLost(message);
}

void ChildProcessModelBackend::failPending(const QString& message) {
    for (auto& [id, fail] : std::exchange(pending_, {})) fail(message);
}

// ---- futures across the process boundary ----------------------------------

template <typename Reply>
QFuture<Reply> ChildProcessModelBackend::track(QFuture<Reply> inner) {
    auto promise = std::make_shared<QPromise<Reply>>();
    promise->start();
    auto answered = std::make_shared<bool>(false);
    auto finish = [promise, answered](Reply&& reply) {
        if (*answered) return;
        *answered = true;
        promise->addResult(std::move(reply));
        promise->finish();
    };
    const quint64 id = next_pending_id_++;
    pending_[id] = [finish](const QString& message) { finish(error_reply<Reply>(BackendError::Failed, message)); };
    // The continuation takes the future, not the reply: the reply (a click's
    // masks) is moved on, never copied; this is its only reader.
    inner
        .then(this,
              [this, id, finish](QFuture<Reply> answered_future) {
                  if (!has_result(answered_future)) {
                      pending_.erase(id);
                      finish(error_reply<Reply>(BackendError::Failed, QStringLiteral("the model process went away before answering")));
                      return;
                  }
                  Reply reply = take_only_result(answered_future);
                  if (reply.error == BackendError::Unreachable && process_) {
                      // The connection broke: usually the child died and its
                      // socket closed before QProcess heard of it. Give the
                      // death a moment to be reported (it answers with the
                      // signal); a child that lives on gets this answer then.
                      QTimer::singleShot(kConnectionLossGraceMs, this, [this, id, finish, reply]() mutable {
                          if (pending_.erase(id)) finish(std::move(reply));
                      });
                      return;
                  }
                  pending_.erase(id);
                  finish(std::move(reply));
              })
        .onCanceled(this, [this, id, finish] {
            pending_.erase(id);
            finish(error_reply<Reply>(BackendError::Failed, QStringLiteral("the model process went away before answering")));
        });
    return promise->future();
}

template <typename Reply>
QFuture<Reply> ChildProcessModelBackend::withChild(std::function<QFuture<Reply>(RemoteModelBackend&)> call) {
    if (state_ == ChildState::Running && remote_) return track(call(*remote_));
    auto promise = std::make_shared<QPromise<Reply>>();
    promise->start();
    start_waiters_.push_back([this, promise, call = std::move(call)](const QString& error) {
        auto finish = [promise](Reply reply) {
            promise->addResult(std::move(reply));
            promise->finish();
        };
        if (!error.isEmpty() || !remote_) {
            finish(error_reply<Reply>(BackendError::Failed, error.isEmpty() ? QStringLiteral("the model process is gone") : error));
            return;
        }
        track(call(*remote_)).then(this, finish);
    });
    if (state_ == ChildState::None) startChild();
    return promise->future();
}

template <typename Reply>
QFuture<Reply> ChildProcessModelBackend::ifChild(std::function<QFuture<Reply>(RemoteModelBackend&)> call, Reply idle) {
    if (state_ == ChildState::Running && remote_) return track(call(*remote_));
    return QtFuture::makeReadyFuture(std::move(idle));
}

// ---- the door -------------------------------------------------------------

BackendStatus ChildProcessModelBackend::status() const {
    if (state_ == ChildState::Running && remote_ && remote_->isReachable()) return remote_->status();
    BackendStatus s;
    if (state_ == ChildState::Starting || state_ == ChildState::Running) s.state = QStringLiteral("loading");
    if (state_ == ChildState::Stopping) s.state = QStringLiteral("unloading");
    if (last_request_) s.model_path = QString::fromStdString(engine::path_to_utf8(last_request_->checkpoint_dir));
    return s;
}

BackendMemory ChildProcessModelBackend::memory() const {
    if (state_ == ChildState::Running && remote_ && remote_->isReachable() && remote_->memory().sampled_at_ms > 0)
        return remote_->memory();
    // No model process: the machine's figures, nothing held by the model.
    if (!local_sample_clock_.isValid() || local_sample_clock_.elapsed() > options_.poll_interval_ms) {
        const engine::SystemMemory system = options_.probe->system();
        BackendMemory m;
        m.ram_total_mb = double(system.total_bytes) / kMb;
        m.ram_available_mb = double(system.available_bytes) / kMb;
        m.swap_used_mb = double(system.swap_used_bytes) / kMb;
        local_gpus_ = options_.probe->gpus();
        if (!local_gpus_.empty()) {
            const engine::GpuMemory& gpu = local_gpus_.front();
            m.vram_known = true;
            m.vram_device = QStringLiteral("cuda:%1 %2").arg(gpu.index).arg(QString::fromStdString(gpu.name));
            m.vram_total_mb = double(gpu.total_bytes) / kMb;
            m.vram_free_mb = double(gpu.free_bytes) / kMb;
            m.vram_others_mb = double(gpu.total_bytes - std::min(gpu.total_bytes, gpu.free_bytes)) / kMb;
        }
        m.sampled_at_ms = QDateTime::currentMSecsSinceEpoch();
        local_memory_ = m;
        local_sample_clock_.start();
    }
    return local_memory_;
}

std::vector<engine::GpuMemory> ChildProcessModelBackend::gpus() const {
    if (state_ == ChildState::Running && remote_ && remote_->isReachable()) return remote_->gpus();
    (void)memory();  // refreshes local_gpus_ at most once per poll interval
    return local_gpus_;
}

QFuture<PreflightReply> ChildProcessModelBackend::preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    if (state_ == ChildState::Running && remote_)
        return track<PreflightReply>(remote_->preflight(request, budget));
    // No model process: a preflight reads only the checkpoint's header and the
    // memory figures, which this process reads as well as a child would;
    // starting one for every option the panel shows would cost a process each.
    if (!preflight_session_) preflight_session_ = std::make_shared<engine::ModelSession>(options_.probe);
    return QtConcurrent::run([session = preflight_session_, request, budget] {
        PreflightReply reply;
        try {
            reply.report = session->preflight(request, budget);
            reply.blocker = detection_blocker(request);  // the same words a running model process would say
        } catch (const std::exception& e) {
            reply.error = BackendError::Failed;
            reply.message = QString::fromUtf8(e.what());
        }
        return reply;
    });
}

QFuture<LoadReply> ChildProcessModelBackend::load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    last_request_ = request;
    last_budget_ = budget;
    // The remote backend announces every load it sends (loadFinished); a load
    // that never reached a model process (it could not start, or died
    // starting) is announced here, so the panel does not wait for it forever.
    auto sent = std::make_shared<bool>(false);
    return withChild<LoadReply>([request, budget, sent](RemoteModelBackend& remote) {
               *sent = true;
               return remote.load(request, budget);
           })
        .then(this, [this, sent](const LoadReply& reply) {
            if (!*sent) Q_EMIT loadFinished(reply);
            return reply;
        });
}

QFuture<LoadReply> ChildProcessModelBackend::reload() {
    // Every child is a new process: "the last model" is what this object loaded last.
    if (!last_request_)
        return QtFuture::makeReadyFuture(error_reply<LoadReply>(BackendError::NoLastModel, QStringLiteral("no model was loaded yet: nothing to reload")));
    return load(*last_request_, last_budget_);
}

void ChildProcessModelBackend::cancelLoad() {
    if (state_ == ChildState::Running && remote_) {
        remote_->cancelLoad();
        return;
    }
    // Still starting: the load has not reached the child; ending it cancels it.
    if (state_ == ChildState::Starting) {
        for (auto& waiter : std::exchange(start_waiters_, {})) waiter(QStringLiteral("the load was cancelled"));
        endChild();
    }
}

QFuture<UnloadReply> ChildProcessModelBackend::unload() {
    if (state_ == ChildState::None) {
        UnloadReply idle;
        idle.message = QStringLiteral("no model process runs");
        return QtFuture::makeReadyFuture(idle);
    }
    auto promise = std::make_shared<QPromise<UnloadReply>>();
    promise->start();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    const BackendStatus before = last_child_status_;
    const qint64 pid = childPid();
    unloading_ = true;
    // Once the process has ended: its figures, and everything it held came back.
    auto finish = [this, promise, clock, before, pid](UnloadReply reply) {
        unloading_ = false;
        reply.process_ended = true;
        reply.was_loaded = reply.was_loaded || before.model_loaded;
        if (reply.device.isEmpty()) reply.device = before.device;
        reply.freed_ram_mb = qMax(reply.freed_ram_mb, before.ram_rss_mb);
        reply.freed_vram_mb = qMax(reply.freed_vram_mb, before.vram_used_mb);
        reply.vram_measured = before.vram_used_known;
        reply.ram_rss_after_mb = 0.0;
        reply.vram_after_mb = 0.0;
        reply.duration_ms = double(clock->elapsed());
        if (reply.message.isEmpty()) reply.message = QStringLiteral("the model process (pid %1) ended").arg(pid);
        promise->addResult(reply);
        promise->finish();
        Q_EMIT unloaded(reply);
    };
    if (state_ == ChildState::Running && remote_) {
        // Ask first (a running encode finishes, the figures are measured), then end it whatever the answer.
        remote_->unload().then(this, [this, finish](UnloadReply reply) {
            if (!reply.ok()) {
                reply.message = QStringLiteral("the model process did not unload (%1); it was ended").arg(reply.message);
                reply.error = BackendError::None;
            }
            endChildThen([finish, reply] { finish(reply); });
        });
    } else {
        // Starting (a load waits for it) or already ending.
        for (auto& waiter : std::exchange(start_waiters_, {}))
            waiter(QStringLiteral("cancelled: an unload ended the model process before it was ready"));
        endChildThen([finish] { finish(UnloadReply{}); });
    }
    return promise->future();
}

QFuture<EncodeReply> ChildProcessModelBackend::encode(const engine::ImageRgb8& image, const QString& image_id) {
    return ifChild<EncodeReply>([image, image_id](RemoteModelBackend& remote) { return remote.encode(image, image_id); },
                                error_reply<EncodeReply>(BackendError::NotLoaded, QStringLiteral("no model is loaded")));
}

QFuture<SegmentReply> ChildProcessModelBackend::segment(const QString& image_id, const engine::ClickPrompt& prompt) {
    return ifChild<SegmentReply>([image_id, prompt](RemoteModelBackend& remote) { return remote.segment(image_id, prompt); },
                                 error_reply<SegmentReply>(BackendError::NotLoaded, QStringLiteral("no model is loaded")));
}

QFuture<DetectReply> ChildProcessModelBackend::detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                                      const engine::DetectOptions& options) {
    return ifChild<DetectReply>(
        [image_id, prompt, options](RemoteModelBackend& remote) { return remote.detect(image_id, prompt, options); },
        error_reply<DetectReply>(BackendError::NotLoaded, QStringLiteral("no model is loaded")));
}

}  // namespace samlabel::service
