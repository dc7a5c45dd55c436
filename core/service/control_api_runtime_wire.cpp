#include "core/service/control_api_runtime_wire.h"

#include "core/engine/utf8_path.h"
#include "core/service/control_api_requests.h"  // kMaxWeightsPathBytes, kMaxBudgetMb

#include <QDir>
#include <QStringList>

#include <cmath>

namespace samlabel::service::wire {

namespace {

constexpr std::uint64_t kMiB = 1024ull * 1024ull;
// A timer's longest wait (about 24.8 days); longer means nothing to the worker's QTimer.
constexpr double kMaxAutoUnloadMs = 2147483647.0;

QString path_text(const std::filesystem::path& path) {
    return path.empty() ? QString() : QString::fromStdString(engine::path_to_utf8(path));
}

// Reads one group's fields; the first problem goes to *error.
class GroupReader {
public:
    GroupReader(const QJsonObject& json, QString group, QStringList fields, QString* error)
        : json_(json), group_(std::move(group)), error_(error) {
        for (auto it = json.begin(); it != json.end(); ++it)
            if (!fields.contains(it.key()))
                fail(QStringLiteral("unknown field \"%1.%2\" (%1 takes %3)").arg(group_, it.key(), fields.join(QStringLiteral(", "))));
        for (const QString& f : fields)
            if (!json.contains(f))
                fail(QStringLiteral("\"%1.%2\" is missing (a group is sent whole: %3)").arg(group_, f, fields.join(QStringLiteral(", "))));
    }
    bool ok() const { return ok_; }

    // A whole number from 0 to max.
    double number(const QString& field, double max, const char* unit) {
        const QJsonValue v = json_.value(field);
        const double n = v.isDouble() ? v.toDouble() : -1.0;
        if (ok_ && (!std::isfinite(n) || n < 0.0 || n > max || std::floor(n) != n))
            fail(QStringLiteral("\"%1.%2\" must be a whole number of %3 from 0 to %4").arg(group_, field, QLatin1String(unit)).arg(max, 0, 'f', 0));
        return ok_ ? n : 0.0;
    }
    // "" (none) or an absolute folder on the server.
    QString folder(const QString& field) {
        const QJsonValue v = json_.value(field);
        if (!ok_) return {};
        if (!v.isString()) {
            fail(QStringLiteral("\"%1.%2\" must be a string: an absolute folder on the server, or \"\" for none").arg(group_, field));
            return {};
        }
        const QString dir = v.toString();
        if (dir.isEmpty()) return dir;
        if (dir.toUtf8().size() > kMaxWeightsPathBytes)
            fail(QStringLiteral("\"%1.%2\" is longer than %3 bytes").arg(group_, field).arg(kMaxWeightsPathBytes));
        else if (dir.contains(QChar(0)))
            fail(QStringLiteral("\"%1.%2\" contains a NUL character").arg(group_, field));
        else if (!QDir::isAbsolutePath(dir))
            fail(QStringLiteral("\"%1.%2\" must be an absolute folder path on the server, not \"%3\"").arg(group_, field, dir));
        return ok_ ? dir : QString();
    }

private:
    void fail(const QString& message) {
        if (!ok_) return;
        ok_ = false;
        if (error_) *error_ = message;
    }
    const QJsonObject& json_;
    QString group_;
    QString* error_;
    bool ok_ = true;
};

}  // namespace

QJsonObject to_json(const RuntimeSettings& s) {
    return QJsonObject{
        {QStringLiteral("embedding_cache_mb"), double(s.embedding_cache_bytes / kMiB)},
        {QStringLiteral("disk_cache_dir"), s.disk_cache_dir},
        {QStringLiteral("auto_unload_after_ms"), double(s.auto_unload_after_ms)},
        {QStringLiteral("encode_keep_free_ram_mb"), double(s.encode_budget.keep_free_ram_bytes / kMiB)},
        {QStringLiteral("encode_max_vram_mb"), double(s.encode_budget.max_vram_bytes / kMiB)},
    };
}

QJsonObject to_json(const engine::ConvertedWeightsSettings& s) {
    return QJsonObject{{QStringLiteral("dir"), path_text(s.dir)}, {QStringLiteral("budget_mb"), double(s.budget_bytes / kMiB)}};
}

QJsonObject to_json(const RuntimeSettingsUpdate& update) {
    QJsonObject json;
    if (update.runtime) json[QStringLiteral("runtime")] = to_json(*update.runtime);
    if (update.converted_weights) json[QStringLiteral("converted_weights")] = to_json(*update.converted_weights);
    return json;
}

QJsonObject to_json(const AppliedSettings& settings) {
    return to_json(RuntimeSettingsUpdate{settings.runtime, settings.converted_weights});
}

std::optional<RuntimeSettingsUpdate> parse_runtime_settings_update(const QJsonObject& body, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    static const QStringList kGroups = {QStringLiteral("runtime"), QStringLiteral("converted_weights")};
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (!kGroups.contains(it.key()))
            return fail(QStringLiteral("unknown field \"%1\" (runtime-settings takes %2)").arg(it.key(), kGroups.join(QStringLiteral(", "))));
        if (!it.value().isObject()) return fail(QStringLiteral("\"%1\" must be an object").arg(it.key()));
    }
    if (body.isEmpty()) return fail(QStringLiteral("no settings given: send \"runtime\" and/or \"converted_weights\""));

    RuntimeSettingsUpdate update;
    if (body.contains(QStringLiteral("runtime"))) {
        GroupReader r(body.value(QStringLiteral("runtime")).toObject(), QStringLiteral("runtime"),
                      {QStringLiteral("embedding_cache_mb"), QStringLiteral("disk_cache_dir"), QStringLiteral("auto_unload_after_ms"),
                       QStringLiteral("encode_keep_free_ram_mb"), QStringLiteral("encode_max_vram_mb")},
                      error);
        RuntimeSettings s;
        s.embedding_cache_bytes = std::uint64_t(r.number(QStringLiteral("embedding_cache_mb"), kMaxBudgetMb, "MB")) * kMiB;
        s.disk_cache_dir = r.folder(QStringLiteral("disk_cache_dir"));
        s.auto_unload_after_ms = qint64(r.number(QStringLiteral("auto_unload_after_ms"), kMaxAutoUnloadMs, "ms"));
        s.encode_budget.keep_free_ram_bytes = std::uint64_t(r.number(QStringLiteral("encode_keep_free_ram_mb"), kMaxBudgetMb, "MB")) * kMiB;
        s.encode_budget.max_vram_bytes = std::uint64_t(r.number(QStringLiteral("encode_max_vram_mb"), kMaxBudgetMb, "MB")) * kMiB;
        if (!r.ok()) return std::nullopt;
        update.runtime = s;
    }
    if (body.contains(QStringLiteral("converted_weights"))) {
        GroupReader r(body.value(QStringLiteral("converted_weights")).toObject(), QStringLiteral("converted_weights"),
                      {QStringLiteral("dir"), QStringLiteral("budget_mb")}, error);
        engine::ConvertedWeightsSettings s;
        const QString dir = r.folder(QStringLiteral("dir"));
        s.dir = engine::path_from_utf8(dir.toStdString());
        s.budget_bytes = std::uint64_t(r.number(QStringLiteral("budget_mb"), kMaxBudgetMb, "MB")) * kMiB;
        if (!r.ok()) return std::nullopt;
        update.converted_weights = s;
    }
    return update;
}

}  // namespace samlabel::service::wire
