#include "ui/dialogs/control_api_settings_dialog.h"

#include "core/service/api_token.h"
#include "core/service/control_api_client.h"

#include <QCheckBox>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace samlabel::ui {

ControlApiSettingsDialog::ControlApiSettingsDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Control API and model backend"));
    const service::ControlApiConfig api = service::load_control_api_config();
    const service::BackendConfig backend = service::load_backend_config();
    auto* layout = new QVBoxLayout(this);

    // ---- control API ----
    auto* api_box = new QGroupBox(tr("Control API (lets scripts unload the model before training)"), this);
    auto* api_form = new QFormLayout(api_box);
    enable_ = new QCheckBox(tr("Enable"), api_box);
    enable_->setChecked(api.enabled);
    api_form->addRow(enable_);
    bind_ = new QLineEdit(api.bind_address, api_box);
    bind_->setToolTip(tr("127.0.0.1: only programs on this computer. 0.0.0.0: every network interface (no TLS!)."));
    api_form->addRow(tr("Bind address:"), bind_);
    bind_warning_ = new QLabel(api_box);
    bind_warning_->setWordWrap(true);
    bind_warning_->setStyleSheet(QStringLiteral("color: #b35c00"));
    api_form->addRow(QString(), bind_warning_);
    port_ = new QSpinBox(api_box);
    port_->setRange(1, 65535);
    port_->setValue(api.port);
    api_form->addRow(tr("Port:"), port_);
    // The field on its own line, its buttons under it: beside three buttons the
    // field was too narrow to show its placeholder.
    auto* token_column = new QVBoxLayout;
    auto* token_row = new QHBoxLayout;
    token_ = new QLineEdit(api.token, api_box);
    token_->setReadOnly(true);
    token_->setEchoMode(QLineEdit::Password);
    token_->setPlaceholderText(tr("generated when the API is enabled"));
    auto* show = new QPushButton(tr("Show"), api_box);
    show->setCheckable(true);
    auto* copy = new QPushButton(tr("Copy"), api_box);
    auto* regenerate = new QPushButton(tr("Regenerate…"), api_box);
    token_->setMinimumWidth(token_->fontMetrics().horizontalAdvance(token_->placeholderText()) + 24);
    token_column->addWidget(token_);
    token_row->addWidget(show);
    token_row->addWidget(copy);
    token_row->addWidget(regenerate);
    token_row->addStretch(1);
    token_column->addLayout(token_row);
    api_form->addRow(tr("Token:"), token_column);
    auto* usage = new QLabel(tr("Scripts: <code>samlabel-cli unload || true</code> before training "
                                "(reads the address and token from these settings, or SAMLABEL_URL / SAMLABEL_TOKEN)."),
                             api_box);
    usage->setWordWrap(true);
    api_form->addRow(usage);
    layout->addWidget(api_box);

    // ---- model backend ----
    auto* backend_box = new QGroupBox(tr("Where the model runs"), this);
    auto* backend_form = new QFormLayout(backend_box);
    local_ = new QRadioButton(tr("On this computer"), backend_box);
    remote_ = new QRadioButton(tr("On a samlabel-cli serve host:"), backend_box);
    (backend.remote ? remote_ : local_)->setChecked(true);
    backend_form->addRow(local_);
    backend_form->addRow(remote_);
    remote_url_ = new QLineEdit(backend.remote_url.toString(), backend_box);
    remote_url_->setPlaceholderText(QStringLiteral("http://gpu-box:8765"));
    backend_form->addRow(tr("URL:"), remote_url_);
    remote_token_ = new QLineEdit(backend.remote_token, backend_box);
    remote_token_->setEchoMode(QLineEdit::Password);
    backend_form->addRow(tr("Token:"), remote_token_);
    auto* test_row = new QHBoxLayout;
    auto* test = new QPushButton(tr("Test connection"), backend_box);
    test_result_ = new QLabel(backend_box);
    test_result_->setWordWrap(true);
    test_row->addWidget(test);
    test_row->addWidget(test_result_, 1);
    backend_form->addRow(test_row);
    auto* note = new QLabel(tr("Changing where the model runs takes effect at the next start of samlabel."), backend_box);
    note->setWordWrap(true);
    backend_form->addRow(note);
    layout->addWidget(backend_box);

    error_ = new QLabel(this);
    error_->setStyleSheet(QStringLiteral("color: #c00"));
    error_->setWordWrap(true);
    layout->addWidget(error_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(show, &QPushButton::toggled, this,
            [this](bool on) { token_->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password); });
    connect(copy, &QPushButton::clicked, this, &ControlApiSettingsDialog::copyToken);
    connect(regenerate, &QPushButton::clicked, this, [this] {
        if (QMessageBox::question(this, tr("Regenerate token"),
                                  tr("Scripts using the current token will get 401 until they use the new one. Regenerate?")) ==
            QMessageBox::Yes)
            regenerateToken();
    });
    connect(enable_, &QCheckBox::toggled, this, [this](bool on) {
        if (on && token_->text().isEmpty()) regenerateToken();  // the token is born on first enable
    });
    connect(bind_, &QLineEdit::textChanged, this, &ControlApiSettingsDialog::updateBindWarning);
    connect(test, &QPushButton::clicked, this, &ControlApiSettingsDialog::testConnection);
    auto sync_remote = [this] {
        remote_url_->setEnabled(remote_->isChecked());
        remote_token_->setEnabled(remote_->isChecked());
    };
    connect(remote_, &QRadioButton::toggled, this, sync_remote);
    sync_remote();
    updateBindWarning();
}

void ControlApiSettingsDialog::regenerateToken() { token_->setText(service::generate_api_token()); }

void ControlApiSettingsDialog::copyToken() {
    if (QClipboard* clipboard = QGuiApplication::clipboard()) clipboard->setText(token_->text());
}

void ControlApiSettingsDialog::updateBindWarning() {
    const QHostAddress a = service::parse_bind_address(bind_->text());
    if (a.isNull()) bind_warning_->setText(tr("Not an IP address."));
    else if (a.isLoopback()) bind_warning_->clear();
    else bind_warning_->setText(tr("Reachable from other computers, unencrypted: anyone on the network who has the token "
                                   "can unload the model. Keep 127.0.0.1 unless you need remote access."));
}

void ControlApiSettingsDialog::testConnection() {
    const QUrl url(remote_url_->text().trimmed());
    if (!url.isValid() || url.host().isEmpty()) {
        test_result_->setText(tr("Enter a URL like http://gpu-box:8765"));
        return;
    }
    test_result_->setText(tr("Connecting…"));
    auto* client = new service::ControlApiClient(url, remote_token_->text().trimmed(), this);
    client->get(QStringLiteral("/health"), 5000).then(this, [this, client, url](const service::ApiCallResult& r) {
        client->deleteLater();
        if (!r.ok()) {
            test_result_->setText(r.describe(url));
            return;
        }
        const bool loaded = r.json.value(QStringLiteral("model_loaded")).toBool();
        test_result_->setText(loaded ? tr("Connected: model loaded on %1").arg(r.json.value(QStringLiteral("device")).toString())
                                     : tr("Connected: no model loaded (state %1)").arg(r.json.value(QStringLiteral("state")).toString()));
    });
}

service::ControlApiConfig ControlApiSettingsDialog::apiConfig() const {
    service::ControlApiConfig c;
    c.enabled = enable_->isChecked();
    c.bind_address = bind_->text().trimmed();
    c.port = quint16(port_->value());
    c.token = token_->text();
    return c;
}

service::BackendConfig ControlApiSettingsDialog::backendConfig() const {
    service::BackendConfig c;
    c.remote = remote_->isChecked();
    c.remote_url = QUrl(remote_url_->text().trimmed());
    c.remote_token = remote_token_->text().trimmed();
    return c;
}

void ControlApiSettingsDialog::accept() {
    if (service::parse_bind_address(bind_->text()).isNull()) {
        error_->setText(tr("The bind address must be an IP address such as 127.0.0.1."));
        return;
    }
    if (enable_->isChecked() && token_->text().isEmpty()) regenerateToken();
    const service::BackendConfig backend = backendConfig();
    if (backend.remote && (!backend.remote_url.isValid() || backend.remote_url.host().isEmpty())) {
        error_->setText(tr("Enter the serve host's URL, e.g. http://gpu-box:8765."));
        return;
    }
    service::save_control_api_config(apiConfig());
    service::save_backend_config(backend);
    QDialog::accept();
}

}  // namespace samlabel::ui
