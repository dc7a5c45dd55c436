#include "ui/dialogs/settings_dialog.h"

#include "core/service/control_api_settings.h"

#include "ui/dialogs/shortcut_editor.h"
#include "ui/settings/app_settings.h"

#include "core/engine/memory_budget.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QFormLayout>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

namespace samlabel::ui {

SettingsDialog::SettingsDialog(const QList<QAction*>& actions, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Preferences"));
    setObjectName("settings_dialog");
    auto* tabs = new QTabWidget(this);

    auto* general = new QWidget(tabs);
    autosave_s_ = new QSpinBox(general);
    autosave_s_->setRange(0, 3600);
    autosave_s_->setSuffix(tr(" s"));
    autosave_s_->setSpecialValueText(tr("only on image switch"));
    autosave_s_->setValue(AppSettings::autosaveIntervalSeconds());
    pixel_limit_mp_ = new QSpinBox(general);
    pixel_limit_mp_->setRange(1, 2000);
    pixel_limit_mp_->setSuffix(tr(" MP"));
    pixel_limit_mp_->setValue(int(AppSettings::pixelLimit() / 1'000'000));
    auto* form = new QFormLayout(general);
    form->addRow(tr("Autosave every"), autosave_s_);
    form->addRow(tr("Refuse images above"), pixel_limit_mp_);
    tabs->addTab(general, tr("General"));

    // The converted-weights cache: a CPU load in bf16/fp16 of an fp32
    // checkpoint writes the converted weights once and maps them next time.
    auto* model = new QWidget(tabs);
    converted_cache_ = new QCheckBox(tr("Keep converted weights on disk and map them on the next load"), model);
    converted_cache_->setObjectName(QStringLiteral("convertedWeightsCache"));
    converted_cache_->setToolTip(tr("A bf16 or fp16 load on the CPU converts the fp32 checkpoint. With this on, the converted\n"
                                    "weights are written once and later loads map them: faster, and the pages are\n"
                                    "file-backed (the OS drops and re-reads them instead of swapping)."));
    converted_cache_->setChecked(AppSettings::convertedWeightsCacheEnabled());
    converted_budget_gib_ = new QSpinBox(model);
    converted_budget_gib_->setObjectName(QStringLiteral("convertedWeightsBudget"));
    converted_budget_gib_->setRange(1, 1024);
    converted_budget_gib_->setSuffix(tr(" GiB"));
    converted_budget_gib_->setValue(int(std::max<std::uint64_t>(1, AppSettings::convertedWeightsBudgetBytes() >> 30)));
    converted_info_ = new QLabel(model);
    converted_info_->setObjectName(QStringLiteral("convertedWeightsInfo"));
    converted_info_->setWordWrap(true);
    converted_info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* clear = new QPushButton(tr("Clear"), model);
    clear->setObjectName(QStringLiteral("clearConvertedWeights"));
    connect(clear, &QPushButton::clicked, this, &SettingsDialog::clearConvertedWeights);
    // Where the model runs (service::ModelPlacement): read once, when the window starts.
    placement_ = new QComboBox(model);
    placement_->setObjectName(QStringLiteral("modelPlacement"));
    placement_->addItem(tr("Automatic: a model process when a GPU is present"), int(service::ModelPlacement::Automatic));
    placement_->addItem(tr("In this window's process"), int(service::ModelPlacement::ThisProcess));
    placement_->addItem(tr("In a model process"), int(service::ModelPlacement::ModelProcess));
    placement_->setToolTip(tr("A model process is ended by Unload, so all of its memory comes back, the GPU's CUDA context\n"
                              "included, and a crash of the model leaves the window and your annotations alone.\n"
                              "It costs a second copy of the runtime in RAM and a few ms per click on large images.\n"
                              "Takes effect at the next start."));
    placement_->setCurrentIndex(std::max(0, placement_->findData(int(service::load_backend_config().placement))));
    auto* model_form = new QFormLayout(model);
    model_form->addRow(tr("Run the model"), placement_);
    model_form->addRow(QString(), new QLabel(tr("(takes effect at the next start)"), model));
    model_form->addRow(converted_cache_);
    model_form->addRow(tr("At most"), converted_budget_gib_);
    model_form->addRow(tr("Now"), converted_info_);
    model_form->addRow(QString(), clear);
    tabs->addTab(model, tr("Model"));
    showConvertedWeights();

    shortcuts_ = new ShortcutEditor(actions, tabs);
    tabs->addTab(shortcuts_, tr("Shortcuts"));

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(tabs, 1);
    layout->addWidget(buttons);
    resize(680, 520);  // fits a 1366x768 screen at 150 % (1280x720 logical)
}

QString SettingsDialog::convertedWeightsText() const { return converted_info_->text(); }

void SettingsDialog::showConvertedWeights() {
    // The folder is the state: a cache object on it reads what is there.
    engine::ConvertedWeightsSettings settings;
    settings.dir = engine::default_converted_weights_dir();
    if (settings.dir.empty()) {
        converted_info_->setText(tr("no cache folder (set SAMLABEL_CACHE, XDG_CACHE_HOME or HOME)"));
        return;
    }
    const engine::ConvertedWeightsCache cache(settings);
    const std::size_t entries = cache.entries();
    converted_info_->setText(tr("%1 in %2, in %3")
                                 .arg(QString::fromStdString(engine::format_bytes(cache.disk_bytes())))
                                 .arg(entries == 1 ? tr("1 entry") : tr("%1 entries").arg(entries))
                                 .arg(QString::fromStdU16String(settings.dir.u16string())));
}

void SettingsDialog::clearConvertedWeights() {
    engine::ConvertedWeightsSettings settings;
    settings.dir = engine::default_converted_weights_dir();
    if (settings.dir.empty()) return;
    engine::ConvertedWeightsCache cache(settings);
    const std::uint64_t freed = cache.clear();
    showConvertedWeights();
    // A loaded model keeps mapping its entry until Unload; the space comes back then.
    converted_info_->setText(converted_info_->text() + QLatin1Char('\n') +
                             tr("Cleared %1.").arg(QString::fromStdString(engine::format_bytes(freed))));
}

void SettingsDialog::store() const {
    AppSettings::setAutosaveIntervalSeconds(autosave_s_->value());
    AppSettings::setPixelLimit(std::int64_t(pixel_limit_mp_->value()) * 1'000'000);
    AppSettings::setConvertedWeightsCacheEnabled(converted_cache_->isChecked());
    AppSettings::setConvertedWeightsBudgetBytes(std::uint64_t(converted_budget_gib_->value()) << 30);
    service::BackendConfig backend = service::load_backend_config();
    backend.placement = static_cast<service::ModelPlacement>(placement_->currentData().toInt());
    service::save_backend_config(backend);
    shortcuts_->apply();
}

}  // namespace samlabel::ui
