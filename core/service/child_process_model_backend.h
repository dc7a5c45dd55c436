#pragma once
// The model in a child process of the GUI: a `samlabel-cli serve` the GUI
// starts, reaches over loopback with a random token, and watches. Two things
// only a separate process gives: Unload ends the process, so its memory comes
// back whole (the CUDA context included, which no process can release while it
// keeps using CUDA), and a crash of the model (driver fault, a kill by the
// out-of-memory killer, a bad checkpoint) ends the child, not the annotation
// window.
//
// * load() starts a child when none runs (127.0.0.1, a port the OS picks and
//   the child prints, the token in its environment, never on its command line
//   where every user can read it), then sends the load to it.
// * unload() asks the child to unload (for the measured figures), then ends it
//   (terminate, then kill after a grace period); UnloadReply::process_ended.
// * A child that ends by itself fails every pending future with a message
//   saying so, emits unloaded (process_ended) and modelProcessLost; the next
//   load() starts a new child.
// * status() and memory() are the child's (its RSS and VRAM are samlabel's
//   model memory); without a child, the system's figures with nothing held.
// * The child ends with this object, and on Linux with this process even when
//   it is killed (PR_SET_PDEATHSIG), so no model is left holding the GPU.
#include "core/service/model_backend.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QProcess>

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace samlabel::engine {
class MemoryProbe;
class ModelSession;
}

namespace samlabel::service {

class RemoteModelBackend;

struct ChildProcessOptions {
    QString cli_path;                 // empty: samlabel-cli next to this executable (defaultCliPath())
    QStringList extra_arguments;      // appended to `serve` (tests)
    int poll_interval_ms = 250;       // the child's status and memory, for the gauge
    // Clicks on a local socket (serve --click-channel) instead of HTTP: the
    // child adds less to each click. Off: HTTP, for comparing (the benchmark).
    bool click_channel = true;
    int start_timeout_ms = 60'000;    // until the child prints the port it listens on
    int stop_grace_ms = 5'000;        // after terminate(), before kill()
    // The probe for the figures shown while no child runs (the GUI's own); null: the system's.
    std::shared_ptr<engine::MemoryProbe> probe;
};

class ChildProcessModelBackend : public ModelBackend {
    Q_OBJECT
public:
    explicit ChildProcessModelBackend(ChildProcessOptions options = {}, QObject* parent = nullptr);
    ~ChildProcessModelBackend() override;  // kills the child

    // $SAMLABEL_CLI, else samlabel-cli(.exe) in QCoreApplication::applicationDirPath().
    static QString defaultCliPath();
    // The child's process id, 0 when none runs.
    qint64 childPid() const;
    // The running child's backend (tests and the benchmark look at its click channel); null when none runs.
    RemoteModelBackend* childBackend() const;

    BackendStatus status() const override;
    BackendMemory memory() const override;
    std::vector<engine::GpuMemory> gpus() const override;
    QString whereText() const override;
    QFuture<PreflightReply> preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) override;
    QFuture<LoadReply> load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) override;
    void cancelLoad() override;
    // Given to every child at its start (its command line) and sent to a
    // running one (POST /api/v1/runtime-settings; the child is started with
    // --allow-runtime-settings), so a change takes effect at once as it does
    // in this process. Only what changed is sent.
    void applyRuntimeSettings(const RuntimeSettings& settings) override;
    void applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& settings) override;
    // The child reads the GUI's files (serve --allow-read-local-images): it
    // encodes the images in view ahead of any click, and segment()/detect()
    // take the file paths as image ids. The latest images in view are kept and
    // sent to every child once its model is loaded; its encode events come back
    // as imageEncodeStarted / imageEncodeProgress / imageEncoded.
    void setImagesInView(const QString& on_screen, const QStringList& ahead) override;
    bool readsImageFiles() const override { return true; }
    QFuture<LoadReply> reload() override;
    QFuture<UnloadReply> unload() override;
    QFuture<EncodeReply> encode(const engine::ImageRgb8& image, const QString& image_id) override;
    QFuture<SegmentReply> segment(const QString& image_id, const engine::ClickPrompt& prompt) override;
    QFuture<DetectReply> detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                const engine::DetectOptions& options) override;

private:
    enum class ChildState { None, Starting, Running, Stopping };

    // Runs `call` once a child is up (starting one if needed); fails the
    // reply with the start's error otherwise. The answer is tracked: a child
    // that dies fails it.
    template <typename Reply>
    QFuture<Reply> withChild(std::function<QFuture<Reply>(RemoteModelBackend&)> call);
    // Same, without starting a child: `idle` answers when none runs.
    template <typename Reply>
    QFuture<Reply> ifChild(std::function<QFuture<Reply>(RemoteModelBackend&)> call, Reply idle);
    template <typename Reply>
    QFuture<Reply> track(QFuture<Reply> inner);

    void startChild();
    void onChildOutput();
    void onChildFinished(int exit_code, QProcess::ExitStatus status);
    void onChildError(QProcess::ProcessError error);
    void childLost(const QString& message);
    void endChild();  // terminate, then kill after the grace period
    void endChildThen(std::function<void()> then);  // `then` once the process has ended (at once when none runs)
    void failPending(const QString& message);
    QStringList serveArguments() const;
    // Sends the running child the settings that differ from what it has.
    void sendSettingsToChild();
    QString lastOutput() const;

    ChildProcessOptions options_;
    RuntimeSettings runtime_;
    std::optional<engine::ConvertedWeightsSettings> converted_;  // nullopt: the child's own default
    // What the running (or starting) child was given, so only changes are sent;
    // unknown after a change it did not take, so the next one sends it all.
    RuntimeSettings child_runtime_;
    std::optional<engine::ConvertedWeightsSettings> child_converted_;
    bool child_settings_known_ = true;
    QProcess* process_ = nullptr;
    QPointer<RemoteModelBackend> remote_;
    ChildState state_ = ChildState::None;
    QString token_;
    QByteArray stdout_buffer_;
    QString click_channel_name_;  // the child's, as it printed it
    QByteArray output_tail_;       // the child's last output lines, for a crash message
    QElapsedTimer start_clock_;
    std::vector<std::function<void(const QString& error)>> start_waiters_;  // empty error: running
    std::vector<std::function<void()>> stop_waiters_;                       // the process has ended
    // Every future handed out and not yet answered: a lost child fails them.
    std::map<quint64, std::function<void(const QString& message)>> pending_;
    quint64 next_pending_id_ = 0;
    bool unloading_ = false;         // our unload() is ending the child: its end is expected
    qint64 last_pid_ = 0;
    BackendStatus last_child_status_;  // the child's latest, for what a lost child held
    std::optional<engine::LoadRequest> last_request_;  // what reload() loads
    engine::BudgetSettings last_budget_;
    QString in_view_on_screen_;  // the latest setImagesInView(), for the next child
    QStringList in_view_ahead_;
    // Without a child: the machine's figures, read at most once per poll interval.
    mutable QElapsedTimer local_sample_clock_;
    mutable BackendMemory local_memory_;
    mutable std::vector<engine::GpuMemory> local_gpus_;
    std::shared_ptr<engine::ModelSession> preflight_session_;  // preflights while no child runs
};

}  // namespace samlabel::service
