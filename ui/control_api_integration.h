#pragma once
// Wires the control API and "Unload & train" into the main window through its
// extension points only (menu(), addDock()): the lead adds ONE line,
//   auto* model = ui::install_model_ui(window);
//   new ui::ControlApiIntegration(&window, model->localBackend(), model->gauge(), model->sampler());
// It creates the model backend (this machine's worker, or a serve host per
// the settings), starts the control API when enabled, adds "Unload && Train…"
// and "Control API…" to the Tools menu and the Training dock.
#include "core/service/control_api_settings.h"
#include "core/service/model_backend.h"

#include <QObject>
#include <QPointer>

class QAction;

namespace samlabel::service {
class ControlApiServer;
class MemorySampler;
class ModelWorker;
class TrainingLauncher;
struct TrainingJob;
}  // namespace samlabel::service

namespace samlabel::ui {

class MainWindow;
class MemoryGaugeDock;
class TrainingLogDock;

class ControlApiIntegration : public QObject {
    Q_OBJECT
public:
    // local: this process's model backend (may be null in remote mode); gauge and
    // local_sampler may be null. In remote mode the gauge is fed from the
    // serve host's /api/v1/memory instead of the local sampler.
    ControlApiIntegration(MainWindow* window, service::ModelBackend* local, MemoryGaugeDock* gauge = nullptr,
                          service::MemorySampler* local_sampler = nullptr);
    ~ControlApiIntegration() override;

    service::ModelBackend* backend() const { return backend_; }
    service::ControlApiServer* server() const { return server_; }
    service::TrainingLauncher* launcher() const { return launcher_; }
    TrainingLogDock* trainingDock() const { return dock_; }
    QAction* unloadAndTrainAction() const { return train_action_; }
    QAction* settingsAction() const { return settings_action_; }
    bool isRemote() const { return remote_; }
    // The model runs in a child process of the window (Preferences > Model).
    bool isModelProcess() const { return model_process_; }
    // Automatic -> a model process when `local` sees a CUDA GPU, else this process.
    static service::ModelPlacement resolvePlacement(service::ModelPlacement wanted, service::ModelBackend* local);
    QString serverMessage() const { return server_message_; }  // why the API is not running, if so

    // Starts, restarts or stops the API per the saved settings.
    void applyApiSettings();
    // Shows the dialog, then runs the job (unload -> verify -> command).
    void unloadAndTrain(const QString& export_dir = {});
    // Runs a job without the dialog (tests, "train again").
    bool startTraining(const service::TrainingJob& job, QString* error);

private:
    QPointer<MainWindow> window_;
    QPointer<MemoryGaugeDock> gauge_;
    service::ModelBackend* backend_ = nullptr;
    service::ControlApiServer* server_ = nullptr;
    service::TrainingLauncher* launcher_ = nullptr;
    TrainingLogDock* dock_ = nullptr;
    QAction* train_action_ = nullptr;
    QAction* settings_action_ = nullptr;
    bool remote_ = false;
    bool model_process_ = false;
    QString server_message_;
};

}  // namespace samlabel::ui
