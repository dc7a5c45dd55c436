#pragma once
// Edit > Preferences: autosave interval and image pixel limit (QSettings).
#include <QDialog>

class QSpinBox;

namespace samlabel::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget* parent = nullptr);
    void store() const;  // writes the values to AppSettings

private:
    QSpinBox* autosave_s_;
    QSpinBox* pixel_limit_mp_;
};

}  // namespace samlabel::ui
