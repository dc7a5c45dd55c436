#pragma once
// The wire format of the model's life over the control API: the load /
// preflight request body a client sends, the preflight's answer (estimate,
// verdict, blocker), the GPUs and the progress of a running load that /health
// carries. Shared by ControlApiServer and RemoteModelBackend so the two sides
// cannot drift apart; documented in docs/control-api.md.
#include "core/engine/model_session.h"
#include "core/service/control_api_replies.h"  // the parsers of these answers, LoadProgressFigures
#include "core/service/control_api_requests.h"
#include "core/service/model_backend.h"

#include <QJsonArray>
#include <QJsonObject>

#include <optional>
#include <vector>

namespace samlabel::service::wire {

// Client side: the body of POST /api/v1/load and /api/v1/preflight. An empty
// checkpoint_dir leaves "weights" out (the server's own folder); budgets of 0
// are sent as 0 (no budget).
QJsonObject load_request_to_json(const engine::LoadRequest& request, const engine::BudgetSettings& budget);
// Server side: the request a parsed body asks for. Fields left out take their
// defaults (device auto, dtype auto, parts click, no budget); an empty
// "weights" takes `default_folder`.
engine::LoadRequest load_request_from(const LoadOptionsRequest& body, const QString& default_folder);
// The body's budgets, never looser than `floor` (the server operator's): the
// more RAM kept free, the smaller non-zero VRAM cap.
engine::BudgetSettings budget_from(const LoadOptionsRequest& body, const engine::BudgetSettings& floor = {});

// {"fits", "loadable", "blocker", "message", "needed_bytes", "available_bytes",
// "suggestions", "estimate": {...}} (+ "error" when the checkpoint is unreadable).
QJsonObject to_json(const PreflightReply& reply);

// /health's "gpus": [{"index", "name", "total_mb", "free_mb", "process_mb",
// "process_known", "others_mb", "source"}].
QJsonArray to_json(const std::vector<engine::GpuMemory>& gpus);

// /health's "load_progress" while a load streams weights.
QJsonObject to_json(const LoadProgressFigures& progress);

}  // namespace samlabel::service::wire
