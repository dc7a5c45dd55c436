#include "core/service/control_api_load_wire.h"

#include <algorithm>

#include "core/service/control_api_wire.h"

#include "core/engine/device_dtype_names.h"
#include "core/engine/memory_budget.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/utf8_path.h"

#include <QStringList>

#include <cmath>

namespace samlabel::service::wire {
namespace {

constexpr double kMb = 1024.0 * 1024.0;

QString name(std::string_view text) { return QString::fromUtf8(text.data(), qsizetype(text.size())); }

QJsonObject estimate_json(const engine::MemoryEstimate& e) {
    return QJsonObject{{QStringLiteral("parts"), name(engine::part_set_cli_name(e.parts))},
                       {QStringLiteral("dtype"), name(engine::weight_dtype_name(e.dtype))},
                       {QStringLiteral("device"), QString::fromStdString(engine::device_name(e.device))},
                       {QStringLiteral("image_size"), e.geometry.image_size},
                       {QStringLiteral("geometry_from_config"), e.geometry.from_config},
                       {QStringLiteral("parameters"), double(e.parameters)},
                       {QStringLiteral("weight_bytes"), double(e.weight_bytes)},
                       {QStringLiteral("mapped_weight_bytes"), double(e.mapped_weight_bytes)},
                       {QStringLiteral("activation_bytes"), double(e.activation_bytes)},
                       {QStringLiteral("runtime_bytes"), double(e.runtime_bytes)},
                       {QStringLiteral("allocator_slack_bytes"), double(e.allocator_slack_bytes)},
                       {QStringLiteral("margin_bytes"), double(e.margin_bytes)},
                       {QStringLiteral("staging_bytes"), double(e.staging_bytes)},
                       {QStringLiteral("ram_bytes"), double(e.ram_bytes())},
                       {QStringLiteral("vram_bytes"), double(e.vram_bytes())},
                       {QStringLiteral("describe"), QString::fromStdString(e.describe())}};
}

}  // namespace

QJsonObject load_request_to_json(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    QJsonObject o{{QStringLiteral("device"), QString::fromStdString(engine::device_name(request.device))},
                  {QStringLiteral("dtype"), name(engine::weight_dtype_name(request.dtype))},
                  {QStringLiteral("parts"), name(engine::part_set_cli_name(request.parts))},
                  {QStringLiteral("keep_free_ram_mb"), double(budget.keep_free_ram_bytes) / kMb},
                  {QStringLiteral("max_vram_mb"), double(budget.max_vram_bytes) / kMb}};
    if (!request.checkpoint_dir.empty())
        o[QStringLiteral("weights")] = QString::fromStdString(engine::path_to_utf8(request.checkpoint_dir));
    return o;
}

engine::LoadRequest load_request_from(const LoadOptionsRequest& body, const QString& default_folder) {
    engine::LoadRequest request;
    request.checkpoint_dir = engine::path_from_utf8((body.weights.isEmpty() ? default_folder : body.weights).toStdString());
    if (body.device) request.device = *body.device;
    if (body.dtype) request.dtype = *body.dtype;
    if (body.parts) request.parts = *body.parts;
    return request;
}

engine::BudgetSettings budget_from(const LoadOptionsRequest& body, const engine::BudgetSettings& floor) {
    engine::BudgetSettings budget;
    budget.keep_free_ram_bytes = std::max(body.keep_free_ram_bytes.value_or(0), floor.keep_free_ram_bytes);
    const std::uint64_t asked = body.max_vram_bytes.value_or(0);  // 0: no cap
    budget.max_vram_bytes = asked == 0 ? floor.max_vram_bytes
                            : floor.max_vram_bytes == 0 ? asked
                                                        : std::min(asked, floor.max_vram_bytes);
    return budget;
}

QJsonObject to_json(const PreflightReply& r) {
    QJsonObject o{{QStringLiteral("fits"), r.report && r.report->verdict.fits},
                  {QStringLiteral("loadable"), r.loadable()},
                  {QStringLiteral("blocker"), r.blocker}};
    if (r.error != BackendError::None) o[QStringLiteral("error")] = error_code_for(r.error);
    QString message = r.message;
    if (r.report) {
        const engine::Verdict& v = r.report->verdict;
        if (message.isEmpty()) message = QString::fromStdString(v.message);
        QJsonArray suggestions;
        for (const std::string& suggestion : v.suggestions) suggestions.append(QString::fromStdString(suggestion));
        o[QStringLiteral("needed_bytes")] = double(v.needed_bytes);
        o[QStringLiteral("available_bytes")] = double(v.available_bytes);
        o[QStringLiteral("verdict_message")] = QString::fromStdString(v.message);
        o[QStringLiteral("suggestions")] = suggestions;
        o[QStringLiteral("estimate")] = estimate_json(r.report->estimate);
    }
    o[QStringLiteral("message")] = message;
    return o;
}

QJsonArray to_json(const std::vector<engine::GpuMemory>& gpus) {
    QJsonArray a;
    for (const engine::GpuMemory& g : gpus)
        a.append(QJsonObject{{QStringLiteral("index"), g.index},
                             {QStringLiteral("name"), QString::fromStdString(g.name)},
                             {QStringLiteral("total_mb"), double(g.total_bytes) / kMb},
                             {QStringLiteral("free_mb"), double(g.free_bytes) / kMb},
                             {QStringLiteral("process_mb"), double(g.used_by_this_process_bytes) / kMb},
                             {QStringLiteral("process_known"), g.this_process_known},
                             {QStringLiteral("others_mb"), double(g.used_by_others_bytes) / kMb},
                             {QStringLiteral("source"), QString::fromStdString(g.source)}});
    return a;
}

QJsonObject to_json(const LoadProgressFigures& p) {
    return QJsonObject{{QStringLiteral("bytes_done"), double(p.bytes_done)}, {QStringLiteral("bytes_total"), double(p.bytes_total)}};
}

}  // namespace samlabel::service::wire
