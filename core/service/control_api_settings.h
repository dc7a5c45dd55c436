#pragma once
// The control API's and the model backend's user settings (QSettings), in
// one place for the GUI, its settings dialog and the tests.
#include <QHostAddress>
#include <QString>
#include <QUrl>

class QSettings;

namespace samlabel::service {

inline constexpr quint16 kDefaultControlApiPort = 8765;

struct ControlApiConfig {
    bool enabled = false;                            // off by default
    QString bind_address = QStringLiteral("127.0.0.1");  // loopback unless the user picks another
    quint16 port = kDefaultControlApiPort;
    QString token;                                   // generated on first enable
};

// Reads [control_api] from `settings` (the application's QSettings when null).
ControlApiConfig load_control_api_config(QSettings* settings = nullptr);
void save_control_api_config(const ControlApiConfig& config, QSettings* settings = nullptr);
// The stored token, generating and storing one first when there is none.
QString ensure_control_api_token(QSettings* settings = nullptr);

// Where a model on this machine runs: in the window's own process, or in a
// model process the window starts (Unload ends it, so all of its memory comes
// back, the CUDA context included, and a crash of the model does not take the
// window down). Automatic: a model process when a CUDA GPU is visible (where
// the context is worth giving back), this process otherwise.
enum class ModelPlacement { Automatic = 0, ThisProcess, ModelProcess };
const char* model_placement_name(ModelPlacement placement);  // "automatic", "this_process", "model_process"

// Where the model runs for the GUI: here, or on a samlabel-cli serve host.
struct BackendConfig {
    bool remote = false;
    QUrl remote_url;          // e.g. http://gpu-box:8765
    QString remote_token;
    ModelPlacement placement = ModelPlacement::Automatic;  // when not remote
};
BackendConfig load_backend_config(QSettings* settings = nullptr);
void save_backend_config(const BackendConfig& config, QSettings* settings = nullptr);

// "127.0.0.1", "::1", "0.0.0.0", "localhost", ... -> the address; null when unparsable.
QHostAddress parse_bind_address(const QString& text);

}  // namespace samlabel::service
