#pragma once
// The model panel: weights folder, device, dtype, parts, memory budgets, the
// preflight verdict (recomputed off the GUI thread whenever an option changes,
// so the user sees it BEFORE pressing Load), Load / Cancel / Unload, a byte
// progress bar, and what the last load and unload measured. Everything goes
// through the ModelBackend (the one door), so the panel drives whichever model
// the window uses: this process's, a child model process's or a server's.
#include "core/engine/model_session.h"
#include "core/service/model_backend.h"

#include <QDockWidget>
#include <QFutureWatcher>
#include <QTimer>

#include <QPointer>

#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QCheckBox;

namespace samlabel::ui {

class ModelPanel : public QDockWidget {
    Q_OBJECT
public:
    explicit ModelPanel(service::ModelBackend* backend, QWidget* parent = nullptr);
    ~ModelPanel() override;

    // Drive another model (remote mode, a model process). Not owned.
    void setBackend(service::ModelBackend* backend);
    service::ModelBackend* backend() const { return backend_; }

    engine::LoadRequest request() const;
    engine::BudgetSettings budget() const;
    service::RuntimeSettings runtimeSettings() const;
    void setWeightsFolder(const QString& folder);
    QString verdictText() const;  // what the verdict label shows (tests, screenshots)

Q_SIGNALS:
    // The selected model's expected footprint, for the memory gauge's marker.
    void expectedFootprintChanged(quint64 ram_bytes, quint64 vram_bytes, int gpu_index, const QString& label);
    void budgetChanged(quint64 keep_free_ram_bytes, quint64 max_vram_bytes);
    void loadStarted();
    void loadReported(const samlabel::service::LoadReply& reply);
    void unloadReported(const samlabel::service::UnloadReply& reply);

private:
    void onStatusChanged();
    void onLoadProgress(quint64 bytes_done, quint64 bytes_total);
    void onLoadFinished(const service::LoadReply& reply);
    void onUnloaded(const service::UnloadReply& reply);
    void onModelProcessLost(const QString& message);
    void onSettingsNotApplied(const QString& message);
    // The panel's runtime settings to the backend (a model process answers later: onSettingsNotApplied).
    void sendRuntimeSettings();
    void fillDevices();
    void buildUi();
    void loadSettings();
    void saveSettings() const;
    void optionsChanged();
    void runPreflight();
    void showPreflight();
    void updateButtons();

    QPointer<service::ModelBackend> backend_;
    QLineEdit* folder_ = nullptr;
    QPushButton* browse_ = nullptr;
    QComboBox* device_ = nullptr;
    QComboBox* dtype_ = nullptr;
    QComboBox* parts_ = nullptr;
    QDoubleSpinBox* keep_free_ram_gb_ = nullptr;
    QDoubleSpinBox* max_vram_gb_ = nullptr;
    QSpinBox* auto_unload_min_ = nullptr;
    QSpinBox* cache_mb_ = nullptr;
    QCheckBox* disk_cache_ = nullptr;
    QLabel* verdict_ = nullptr;
    QLabel* state_ = nullptr;
    QLabel* where_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* load_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QPushButton* unload_ = nullptr;
    QLabel* last_load_ = nullptr;
    QLabel* last_unload_ = nullptr;
    QLabel* settings_refused_ = nullptr;  // the model process kept its settings, and why

    QTimer preflight_debounce_;
    QFutureWatcher<service::PreflightReply> preflight_watcher_;
    bool preflight_again_ = false;
    std::optional<service::PreflightReply> preflight_;
    engine::SessionState state_value_ = engine::SessionState::Unloaded;
    double loaded_weights_mb_ = 0.0;
    bool load_requested_ = false;  // Load pressed, its answer not yet back
    QString lost_message_;         // why the model process died, until the next Load
};

}  // namespace samlabel::ui
