#pragma once
// Settings for the control API (enable, bind address, port, token with
// show/copy/regenerate) and for where the model runs (this machine, or a
// `samlabel-cli serve` host: URL + token, with a connection test).
#include "core/service/control_api_settings.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;
class QToolButton;

namespace samlabel::ui {

class ControlApiSettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ControlApiSettingsDialog(QWidget* parent = nullptr);

    service::ControlApiConfig apiConfig() const;
    service::BackendConfig backendConfig() const;

    // Parts, for tests.
    QCheckBox* enableBox() const { return enable_; }
    QLineEdit* tokenEdit() const { return token_; }
    QLineEdit* bindEdit() const { return bind_; }
    QSpinBox* portSpin() const { return port_; }
    void regenerateToken();  // without asking (the button asks first)
    void copyToken();

    void accept() override;  // validates, saves to QSettings

private:
    void updateBindWarning();
    void testConnection();

    QCheckBox* enable_ = nullptr;
    QLineEdit* bind_ = nullptr;
    QLabel* bind_warning_ = nullptr;
    QSpinBox* port_ = nullptr;
    QLineEdit* token_ = nullptr;
    QRadioButton* local_ = nullptr;
    QRadioButton* remote_ = nullptr;
    QLineEdit* remote_url_ = nullptr;
    QLineEdit* remote_token_ = nullptr;
    QLabel* test_result_ = nullptr;
    QLabel* error_ = nullptr;
};

}  // namespace samlabel::ui
