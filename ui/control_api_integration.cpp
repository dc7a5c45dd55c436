#include "ui/control_api_integration.h"

#include "core/service/child_process_model_backend.h"
#include "core/service/control_api_server.h"
#include "core/service/control_api_settings.h"
#include "core/service/local_model_backend.h"
#include "core/service/memory_sampler.h"
#include "core/service/remote_model_backend.h"
#include "core/service/training_launcher.h"
#include "ui/dialogs/control_api_settings_dialog.h"
#include "ui/dialogs/unload_and_train_dialog.h"
#include "ui/docks/memory_gauge_dock.h"
#include "ui/docks/training_log_dock.h"
#include "ui/main_window.h"

#include <QAction>
#include <QDateTime>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>

namespace samlabel::ui {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// The serve host's memory as a gauge sample (remote mode).
service::MemorySample to_sample(const service::BackendMemory& m) {
    service::MemorySample s;
    s.wall_ms = m.sampled_at_ms;
    s.time_ms = m.sampled_at_ms;
    s.ram_total_bytes = quint64(m.ram_total_mb * kMiB);
    s.ram_available_bytes = quint64(m.ram_available_mb * kMiB);
    s.swap_used_bytes = quint64(m.swap_used_mb * kMiB);
    s.process_rss_bytes = quint64(m.ram_rss_mb * kMiB);
    s.process_peak_rss_bytes = quint64(m.ram_peak_rss_mb * kMiB);
    if (m.vram_known) {
        service::GpuSample g;
        g.name = m.vram_device;
        g.total_bytes = quint64(m.vram_total_mb * kMiB);
        g.used_bytes = quint64((m.vram_total_mb - m.vram_free_mb) * kMiB);
        g.process_bytes = quint64(m.vram_process_mb * kMiB);
        s.gpus.append(g);
    }
    return s;
}

// This process's sample plus the model process's RAM and VRAM (child mode).
service::MemorySample with_model_process(service::MemorySample sample, const std::optional<service::BackendMemory>& child) {
    if (!child) return sample;
    sample.process_rss_bytes += quint64(child->ram_rss_mb * kMiB);
    sample.process_peak_rss_bytes += quint64(child->ram_peak_rss_mb * kMiB);
    if (child->vram_known && child->vram_process_mb > 0) {
        // "cuda:N name": the model's GPU.
        const int index = child->vram_device.section(QLatin1Char(' '), 0, 0).section(QLatin1Char(':'), 1, 1).toInt();
        for (service::GpuSample& g : sample.gpus)
            if (g.index == index) g.process_bytes += quint64(child->vram_process_mb * kMiB);
    }
    return sample;
}

}  // namespace

service::ModelPlacement ControlApiIntegration::resolvePlacement(service::ModelPlacement wanted, service::ModelBackend* local) {
    if (wanted != service::ModelPlacement::Automatic) return wanted;
    // A model process costs a second libtorch in RAM and a few ms per click on
    // large images (the masks cross a socket); it gives back the CUDA context
    // (~0.5-0.7 GB of VRAM) at Unload. Worth it where there is a GPU.
    return local && !local->gpus().empty() ? service::ModelPlacement::ModelProcess : service::ModelPlacement::ThisProcess;
}

ControlApiIntegration::ControlApiIntegration(MainWindow* window, service::ModelBackend* local, MemoryGaugeDock* gauge,
                                             service::MemorySampler* local_sampler)
    : QObject(window), window_(window), gauge_(gauge) {
    const service::BackendConfig config = service::load_backend_config();
    remote_ = config.remote || !local;
    if (remote_) {
        auto* remote = new service::RemoteModelBackend(config.remote_url, config.remote_token, 1000, this);
        if (gauge) {
            // The gauge shows the server's memory, not this workstation's.
            if (local_sampler) QObject::disconnect(local_sampler, nullptr, gauge, nullptr);
            connect(remote, &service::RemoteModelBackend::memorySampled, gauge,
                    [gauge](const service::BackendMemory& m) { gauge->addSample(to_sample(m)); });
        }
        backend_ = remote;
    } else if (resolvePlacement(config.placement, local) == service::ModelPlacement::ModelProcess) {
        auto* child = new service::ChildProcessModelBackend({}, this);
        model_process_ = true;
        if (gauge && local_sampler) {
            // The model process's memory is samlabel's: the gauge adds it to this process's.
            QObject::disconnect(local_sampler, nullptr, gauge, nullptr);
            connect(local_sampler, &service::MemorySampler::sampled, gauge, [gauge, child](service::MemorySample sample) {
                gauge->addSample(with_model_process(std::move(sample), child->status().model_loaded || child->childPid() != 0
                                                                           ? std::optional(child->memory())
                                                                           : std::nullopt));
            });
        }
        backend_ = child;
    } else {
        backend_ = local;  // the window's own model runtime: one door for the panel, the clicks and the API
    }

    server_ = new service::ControlApiServer(backend_, this);
    launcher_ = new service::TrainingLauncher(backend_, this);
    dock_ = new TrainingLogDock(window);
    dock_->attach(launcher_);
    dock_->hide();
    if (window) {
        window->addDock(dock_, Qt::BottomDockWidgetArea);
        // Beside the gauge, not above it: shown during a run, it must not take
        // height from the panels (on a laptop it once covered the Load button).
        if (gauge) window->splitDockWidget(gauge, dock_, Qt::Horizontal);
    }

    connect(dock_, &TrainingLogDock::reloadRequested, this, [this] {
        dock_->appendLine(tr("[samlabel] reloading the model…"));
        backend_->reload().then(this, [this](const service::LoadReply& r) {
            dock_->appendLine(r.ok() ? tr("[samlabel] model loaded on %1 (%2)").arg(r.device, r.dtype)
                                     : tr("[samlabel] the model was not loaded: %1").arg(r.message));
            if (gauge_ && r.ok()) gauge_->markEvent(tr("Reload"), QColor(0, 140, 0));
        });
    });
    if (gauge) {
        connect(launcher_, &service::TrainingLauncher::unloadFinished, gauge,
                [gauge](const service::UnloadReply& r) {
                    if (r.ok()) gauge->markEvent(QObject::tr("Unload for training"), QColor(200, 60, 0));
                });
        connect(launcher_, &service::TrainingLauncher::stateChanged, gauge, [gauge](service::TrainingLauncher::State s) {
            if (s == service::TrainingLauncher::State::Running) gauge->markEvent(QObject::tr("Training"), QColor(60, 60, 200));
        });
    }

    train_action_ = new QAction(tr("Unload && Train…"), this);
    train_action_->setToolTip(tr("Free the GPU from the annotation model and run a YOLO training command"));
    connect(train_action_, &QAction::triggered, this, [this] { unloadAndTrain(); });
    settings_action_ = new QAction(tr("Control API…"), this);
    connect(settings_action_, &QAction::triggered, this, [this] {
        ControlApiSettingsDialog dialog(window_);
        if (dialog.exec() == QDialog::Accepted) applyApiSettings();
    });
    if (window) {
        if (QMenu* tools = window->menu(MainWindow::MenuId::Tools)) {
            tools->addSeparator();
            tools->addAction(train_action_);
            tools->addAction(settings_action_);
        }
    }
    applyApiSettings();
}

ControlApiIntegration::~ControlApiIntegration() = default;

void ControlApiIntegration::applyApiSettings() {
    const service::ControlApiConfig config = service::load_control_api_config();
    server_->stop();
    server_message_.clear();
    if (!config.enabled) return;
    service::ControlApiOptions options;
    options.bind_address = service::parse_bind_address(config.bind_address);
    options.port = config.port;
    options.token = config.token.isEmpty() ? service::ensure_control_api_token() : config.token;
    QString error;
    if (!server_->start(options, &error)) {
        server_message_ = tr("The control API did not start: %1").arg(error);
        if (window_ && window_->statusBar()) window_->statusBar()->showMessage(server_message_, 10000);
        return;
    }
    if (window_ && window_->statusBar())
        window_->statusBar()->showMessage(tr("Control API on %1").arg(server_->url().toString()), 5000);
}

void ControlApiIntegration::unloadAndTrain(const QString& export_dir) {
    if (launcher_->isActive()) {
        dock_->show();
        dock_->raise();
        return;
    }
    UnloadAndTrainDialog dialog(export_dir, window_);
    if (dialog.exec() != QDialog::Accepted) return;
    QString error;
    if (!startTraining(dialog.job(), &error)) QMessageBox::warning(window_, tr("Unload & Train"), error);
}

bool ControlApiIntegration::startTraining(const service::TrainingJob& job, QString* error) {
    service::TrainingJob with_api = job;
    // The command can ask samlabel itself (samlabel-cli health) while it trains.
    if (server_->isListening()) {
        with_api.environment.insert(QStringLiteral("SAMLABEL_URL"), server_->url().toString());
        with_api.environment.insert(QStringLiteral("SAMLABEL_TOKEN"), service::load_control_api_config().token);
    }
    if (!launcher_->start(with_api, error)) return false;
    dock_->show();
    dock_->raise();
    return true;
}

}  // namespace samlabel::ui
