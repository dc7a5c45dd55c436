#pragma once
// The wire format of a model process's settings: the body of
// POST /api/v1/runtime-settings (what the GUI sends the model process it
// started when a preference changes) and /health's "settings" (what the
// process runs with now). One shape for both:
//   {"runtime": {"embedding_cache_mb", "disk_cache_dir", "auto_unload_after_ms",
//                "encode_keep_free_ram_mb", "encode_max_vram_mb"},
//    "converted_weights": {"dir", "budget_mb"}}
// Either group may be left out (it keeps its settings); a group that is given
// gives every field, so a change never mixes with stale halves. Documented in
// docs/control-api.md.
#include "core/service/model_backend.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace samlabel::service::wire {

struct RuntimeSettingsUpdate {
    std::optional<RuntimeSettings> runtime;
    std::optional<engine::ConvertedWeightsSettings> converted_weights;
};

QJsonObject to_json(const RuntimeSettings& settings);
QJsonObject to_json(const engine::ConvertedWeightsSettings& settings);
// The groups that are set.
QJsonObject to_json(const RuntimeSettingsUpdate& update);
// /health's "settings".
QJsonObject to_json(const AppliedSettings& settings);

// nullopt with *error naming the field for a malformed body: unknown fields,
// a group without some field, numbers that are not whole MB/ms >= 0, folders
// that are not absolute, a body with neither group.
std::optional<RuntimeSettingsUpdate> parse_runtime_settings_update(const QJsonObject& body, QString* error);

}  // namespace samlabel::service::wire
