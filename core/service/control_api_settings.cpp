#include "core/service/control_api_settings.h"

#include "core/service/api_token.h"

#include <QSettings>

#include <memory>

namespace samlabel::service {
namespace {

// The app's QSettings when the caller passes none.
struct SettingsRef {
    explicit SettingsRef(QSettings* given) : owned(given ? nullptr : std::make_unique<QSettings>()), s(given ? given : owned.get()) {}
    std::unique_ptr<QSettings> owned;
    QSettings* s;
};

}  // namespace

ControlApiConfig load_control_api_config(QSettings* settings) {
    SettingsRef ref(settings);
    ControlApiConfig c;
    c.enabled = ref.s->value(QStringLiteral("control_api/enabled"), false).toBool();
    c.bind_address = ref.s->value(QStringLiteral("control_api/bind_address"), c.bind_address).toString();
    const int port = ref.s->value(QStringLiteral("control_api/port"), int(kDefaultControlApiPort)).toInt();
    c.port = port > 0 && port < 65536 ? quint16(port) : kDefaultControlApiPort;
    c.token = ref.s->value(QStringLiteral("control_api/token")).toString();
    return c;
}

void save_control_api_config(const ControlApiConfig& config, QSettings* settings) {
    SettingsRef ref(settings);
    ref.s->setValue(QStringLiteral("control_api/enabled"), config.enabled);
    ref.s->setValue(QStringLiteral("control_api/bind_address"), config.bind_address);
    ref.s->setValue(QStringLiteral("control_api/port"), int(config.port));
    ref.s->setValue(QStringLiteral("control_api/token"), config.token);
}

QString ensure_control_api_token(QSettings* settings) {
    SettingsRef ref(settings);
    QString token = ref.s->value(QStringLiteral("control_api/token")).toString();
    if (token.isEmpty()) {
        token = generate_api_token();
        ref.s->setValue(QStringLiteral("control_api/token"), token);
    }
    return token;
}

const char* model_placement_name(ModelPlacement placement) {
    switch (placement) {
        case ModelPlacement::Automatic: return "automatic";
        case ModelPlacement::ThisProcess: return "this_process";
        case ModelPlacement::ModelProcess: return "model_process";
    }
    return "automatic";
}

BackendConfig load_backend_config(QSettings* settings) {
    SettingsRef ref(settings);
    BackendConfig c;
    c.remote = ref.s->value(QStringLiteral("model_backend/mode")).toString() == QStringLiteral("remote");
    c.remote_url = QUrl(ref.s->value(QStringLiteral("model_backend/remote_url")).toString());
    c.remote_token = ref.s->value(QStringLiteral("model_backend/remote_token")).toString();
    const QString placement = ref.s->value(QStringLiteral("model_backend/placement")).toString();
    for (ModelPlacement p : {ModelPlacement::Automatic, ModelPlacement::ThisProcess, ModelPlacement::ModelProcess})
        if (placement == QLatin1String(model_placement_name(p))) c.placement = p;
    return c;
}

void save_backend_config(const BackendConfig& config, QSettings* settings) {
    SettingsRef ref(settings);
    ref.s->setValue(QStringLiteral("model_backend/mode"), config.remote ? QStringLiteral("remote") : QStringLiteral("local"));
    ref.s->setValue(QStringLiteral("model_backend/remote_url"), config.remote_url.toString());
    ref.s->setValue(QStringLiteral("model_backend/remote_token"), config.remote_token);
    ref.s->setValue(QStringLiteral("model_backend/placement"), QString::fromLatin1(model_placement_name(config.placement)));
}

QHostAddress parse_bind_address(const QString& text) {
    const QString t = text.trimmed();
    if (t.compare(QStringLiteral("localhost"), Qt::CaseInsensitive) == 0) return QHostAddress(QHostAddress::LocalHost);
    if (t == QStringLiteral("*") || t == QStringLiteral("any")) return QHostAddress(QHostAddress::Any);
    QHostAddress a;
    if (!a.setAddress(t)) return {};
    return a;
}

}  // namespace samlabel::service
