#include "ui/dialogs/settings_dialog.h"

#include "ui/dialogs/shortcut_editor.h"
#include "ui/settings/app_settings.h"

#include <QDialogButtonBox>
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

void SettingsDialog::store() const {
    AppSettings::setAutosaveIntervalSeconds(autosave_s_->value());
    AppSettings::setPixelLimit(std::int64_t(pixel_limit_mp_->value()) * 1'000'000);
    shortcuts_->apply();
}

}  // namespace samlabel::ui
