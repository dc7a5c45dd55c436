#include "ui/dialogs/settings_dialog.h"

#include "ui/settings/app_settings.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QSpinBox>

namespace samlabel::ui {

SettingsDialog::SettingsDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Preferences"));
    setObjectName("settings_dialog");
    autosave_s_ = new QSpinBox(this);
    autosave_s_->setRange(0, 3600);
    autosave_s_->setSuffix(tr(" s"));
    autosave_s_->setSpecialValueText(tr("only on image switch"));
    autosave_s_->setValue(AppSettings::autosaveIntervalSeconds());
    pixel_limit_mp_ = new QSpinBox(this);
    pixel_limit_mp_->setRange(1, 2000);
    pixel_limit_mp_->setSuffix(tr(" MP"));
    pixel_limit_mp_->setValue(int(AppSettings::pixelLimit() / 1'000'000));
    auto* form = new QFormLayout(this);
    form->addRow(tr("Autosave every"), autosave_s_);
    form->addRow(tr("Refuse images above"), pixel_limit_mp_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

void SettingsDialog::store() const {
    AppSettings::setAutosaveIntervalSeconds(autosave_s_->value());
    AppSettings::setPixelLimit(std::int64_t(pixel_limit_mp_->value()) * 1'000'000);
}

}  // namespace samlabel::ui
