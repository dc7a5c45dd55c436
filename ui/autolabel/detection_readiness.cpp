#include "ui/autolabel/detection_readiness.h"

#include "core/autolabel/model_fingerprint.h"
#include "core/engine/model_session.h"
#include "core/engine/sam3_parts.h"
#include "core/io/dataset_split.h"
#include "core/io/image_reader.h"
#include "core/service/model_backend.h"
#include "core/service/model_worker.h"
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
        QPromise<DetectionReadiness> p;
        p.start();
        p.addResult(r);
        p.finish();
        return p.future();
    }
    std::shared_ptr<engine::ModelSession> session = model->session();
    const engine::LoadRequest panel_request = model->panel()->request();
    const engine::BudgetSettings budget = model->panel()->budget();
    return QtConcurrent::run([session, panel_request, budget] {
        DetectionReadiness r;
        try {
            const std::optional<engine::ModelInfo> info = session->model_info();
            if (info && engine::part_set_has_detect(info->request.parts)) {
                r.ready = true;
                r.identity = autolabel::ModelIdentity{autolabel::checkpoint_fingerprint(info->request.checkpoint_dir), info->dtype_name};
                r.text = QObject::tr("SAM3 detection is loaded on %1 (%2), model %3.")
                             .arg(QString::fromStdString(info->device_name), QString::fromStdString(info->dtype_name),
                                  QString::fromStdString(r.identity->fingerprint));
            } else if (info) {
                const engine::PreflightReport add = session->preflight_add_parts(engine::PartSet::DetectOnly, budget);
                r.can_add = add.verdict.fits;
                r.text = QObject::tr("The loaded model has the click parts only. Adding detection (%1 more): %2")
                             .arg(gib(add.estimate.weight_bytes), verdict_text(add.verdict));
            } else if (panel_request.checkpoint_dir.empty()) {
                r.text = QObject::tr("No model: choose the SAM3 weights folder in the Model panel and load it with Parts \"click + detect\".");
            } else {
                engine::LoadRequest request = panel_request;
                request.parts = engine::part_set_union(request.parts, engine::PartSet::DetectOnly);
                const engine::PreflightReport report = session->preflight(request, budget);
                r.text = QObject::tr("No model loaded. Loading %1 with parts \"%2\": %3")
                             .arg(QString::fromStdString(io::path_to_utf8(request.checkpoint_dir)),
                                  QString::fromUtf8(engine::part_set_cli_name(request.parts).data(), qsizetype(engine::part_set_cli_name(request.parts).size())), verdict_text(report.verdict));
            }
        } catch (const std::exception& e) {
            r.ready = false;
            r.text = QObject::tr("The model cannot be checked: %1").arg(QString::fromStdString(e.what()));
        }
        return r;
    });
}

void addDetectionParts(ModelUi* model) {
    model->worker()->requestAddParts(engine::PartSet::DetectOnly, model->panel()->budget());
}

}  // namespace samlabel::ui
