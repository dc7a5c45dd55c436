#include "ui/autolabel/detection_readiness.h"

#include "core/autolabel/model_fingerprint.h"
#include "core/engine/model_session.h"
#include "core/engine/sam3_parts.h"
#include "core/io/dataset_split.h"
#include "core/io/image_reader.h"
#include "core/service/model_backend.h"
#include "core/io/utf8_path.h"
#include "ui/docks/model_panel.h"
#include "ui/model/model_ui.h"
#include "ui/tools/prompt_tool.h"

#include <QtConcurrent/QtConcurrentRun>

#include <cstdio>

namespace samlabel::ui {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

QString gib(std::uint64_t bytes) { return QString::number(double(bytes) / kGiB, 'f', 2) + QStringLiteral(" GiB"); }

QString verdict_text(const engine::Verdict& v) {
    QString text = QString::fromStdString(v.message);
    for (const std::string& s : v.suggestions) text += QStringLiteral("\n - ") + QString::fromStdString(s);
    return text;
}

}  // namespace

QFuture<DetectionReadiness> checkDetectionReadiness(ModelUi* model) {
    if (model->isRemote() && model->backend()) {
        const service::BackendStatus s = model->backend()->status();
        DetectionReadiness r;
        if (!s.model_loaded) {
            r.text = QObject::tr("The SAM server has no model loaded.");
        } else if (!s.parts.contains(QStringLiteral("detect"))) {
            r.text = QObject::tr("The SAM server's model has no detection (parts \"%1\"): start it with `samlabel-cli serve --parts click+detect`.").arg(s.parts);
        } else {
            r.ready = true;
            r.text = QObject::tr("Detection on the SAM server: %1, %2.").arg(s.device, s.dtype);
            // The server's checkpoint cannot be read from here: its path names it.
            char id[17];
            std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(io::fnv1a_64("remote|" + s.model_path.toStdString())));
            r.identity = autolabel::ModelIdentity{id, s.dtype.toStdString()};
        }
        return QtFuture::makeReadyFuture(r);
    }
    // Through the one door: the backend's status says what is loaded, its
    // preflight what adding detection (or loading with it) would take.
    service::ModelBackend* backend = model->backend();
    const service::BackendStatus status = backend->status();
    const engine::BudgetSettings budget = model->panel()->budget();
    engine::LoadRequest request = model->panel()->request();
    if (status.model_loaded) {
        if (status.parts.contains(QStringLiteral("detect"))) {
            const std::filesystem::path folder = io::path_from_utf8(status.model_path.toStdString());
            const QString device = status.device, dtype = status.dtype;
            return QtConcurrent::run([folder, device, dtype] {  // the fingerprint reads the checkpoint's header
                DetectionReadiness r;
                try {
                    r.identity = autolabel::ModelIdentity{autolabel::checkpoint_fingerprint(folder), dtype.toStdString()};
                    r.ready = true;
                    r.text = QObject::tr("SAM3 detection is loaded on %1 (%2), model %3.")
                                 .arg(device, dtype, QString::fromStdString(r.identity->fingerprint));
                } catch (const std::exception& e) {
                    r.text = QObject::tr("The model cannot be checked: %1").arg(QString::fromStdString(e.what()));
                }
                return r;
            });
        }
        request.checkpoint_dir = io::path_from_utf8(status.model_path.toStdString());
    } else if (request.checkpoint_dir.empty()) {
        DetectionReadiness r;
        r.text = QObject::tr("No model: choose the SAM3 weights folder in the Model panel and load it with Parts \"click + detect\".");
        return QtFuture::makeReadyFuture(r);
    }
    request.parts = engine::part_set_union(request.parts, engine::PartSet::DetectOnly);
    const bool loaded = status.model_loaded;
    const std::string_view parts = engine::part_set_cli_name(request.parts);
    const QString parts_text = QString::fromUtf8(parts.data(), qsizetype(parts.size()));
    const QString folder = QString::fromStdString(io::path_to_utf8(request.checkpoint_dir));
    return backend->preflight(request, budget).then([loaded, parts_text, folder](const service::PreflightReply& reply) {
        DetectionReadiness r;
        if (!reply.report) {
            r.text = QObject::tr("The model cannot be checked: %1").arg(reply.message);
        } else if (loaded) {
            // The preflight of a load that adds parts to the loaded model is the increment's.
            r.can_add = reply.loadable();
            r.text = QObject::tr("The loaded model has the click parts only. Adding detection (%1 more): %2")
                         .arg(gib(reply.report->estimate.weight_bytes), reply.blocker.isEmpty() ? verdict_text(reply.report->verdict) : reply.blocker);
        } else {
            r.text = QObject::tr("No model loaded. Loading %1 with parts \"%2\": %3")
                         .arg(folder, parts_text, reply.blocker.isEmpty() ? verdict_text(reply.report->verdict) : reply.blocker);
        }
        return r;
    });
}

void addDetectionParts(ModelUi* model) {
    service::ModelBackend* backend = model->backend();
    const service::BackendStatus status = backend->status();
    if (!status.model_loaded) return;
    engine::LoadRequest request = model->panel()->request();
    request.checkpoint_dir = io::path_from_utf8(status.model_path.toStdString());
    request.parts = engine::part_set_union(engine::PartSet::ClickToSegment, engine::PartSet::DetectOnly);
    backend->load(request, model->panel()->budget());  // the loaded model gets only the missing tensors
}

}  // namespace samlabel::ui
