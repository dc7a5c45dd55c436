#pragma once
// The model panel: weights folder, device, dtype, parts, memory budgets, the
// preflight verdict (recomputed off the GUI thread whenever an option changes,
// so the user sees it BEFORE pressing Load), Load / Cancel / Unload, a byte
// progress bar, and what the last load and unload measured. Commands go to the
// ModelWorker; answers come back as its queued signals.
#include "core/engine/model_session.h"

#include <QDockWidget>
#include <QFutureWatcher>
#include <QTimer>

#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QCheckBox;

namespace samlabel::service {
class ModelWorker;
}

namespace samlabel::ui {

class ModelPanel : public QDockWidget {
    Q_OBJECT
public:
    explicit ModelPanel(service::ModelWorker* worker, QWidget* parent = nullptr);
    ~ModelPanel() override;

    engine::LoadRequest request() const;
    engine::BudgetSettings budget() const;
    void setWeightsFolder(const QString& folder);
    QString verdictText() const;  // what the verdict label shows (tests, screenshots)

Q_SIGNALS:
    // The selected model's expected footprint, for the memory gauge's marker.
    void expectedFootprintChanged(quint64 ram_bytes, quint64 vram_bytes, int gpu_index, const QString& label);
    void budgetChanged(quint64 keep_free_ram_bytes, quint64 max_vram_bytes);
    void loadStarted();
    void loadReported(const samlabel::engine::LoadOutcome& outcome);
    void unloadReported(const samlabel::engine::UnloadReport& report);

private Q_SLOTS:
    void onStateChanged(samlabel::engine::SessionState state);
    void onLoadProgress(quint64 bytes_done, quint64 bytes_total);
    void onLoadFinished(const samlabel::engine::LoadOutcome& outcome);
    void onUnloaded(const samlabel::engine::UnloadReport& report, bool automatic);

private:
    struct PreflightResult {
        engine::LoadRequest request;
        std::optional<engine::PreflightReport> report;
        QString error;    // unreadable checkpoint
        QString blocker;  // readable, but these parts cannot load (no tokenizer for text prompts)
    };
    void buildUi();
    void loadSettings();
    void saveSettings() const;
    void optionsChanged();
    void runPreflight();
    void showPreflight();
    void updateButtons();

    service::ModelWorker* worker_;
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
    QProgressBar* progress_ = nullptr;
    QPushButton* load_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QPushButton* unload_ = nullptr;
    QLabel* last_load_ = nullptr;
    QLabel* last_unload_ = nullptr;

    QTimer preflight_debounce_;
    QFutureWatcher<PreflightResult> preflight_watcher_;
    bool preflight_again_ = false;
    std::optional<PreflightResult> preflight_;
    engine::SessionState state_value_ = engine::SessionState::Unloaded;
};

}  // namespace samlabel::ui
