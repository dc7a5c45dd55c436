// The SAM tool over a remote model backend: an in-process control API server
// (the same stack `samlabel-cli serve` runs: ModelThread + LocalModelBackend +
// ControlApiServer with the model endpoints) serves the tiny SAM3 checkpoint;
// the GUI is set to remote mode, a click with the SAM tool uploads the image,
// segments over HTTP and shows the server's mask, which must equal what the
// server's backend returns for the same prompt directly. The GUI's own worker
// never loads a model.
#include "core/service/control_api_server.h"
#include "core/service/control_api_settings.h"
#include "core/service/image_source.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/tiny_sam3_backend.h"
#include "ui/control_api_integration.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"
#include "tests/wait_future.h"

#include <QSignalSpy>

#include <filesystem>

using namespace samlabel;
using namespace samlabel::ui;

namespace {
// tests/wait_future.h; a reply that did not come in time is an empty one,
// which the checks then refuse.
template <typename T>
T wait_for(QFuture<T> future, int timeout_ms = 60000) {
    return samlabel::future_wait::wait_finished(future, timeout_ms) ? future.result() : T{};
}
}  // namespace

class TestRemoteSamUi : public QObject {
    Q_OBJECT
    std::unique_ptr<service::ModelThread> server_thread_;
    std::unique_ptr<service::LocalModelBackend> server_backend_;
    std::unique_ptr<service::ControlApiServer> server_;
    QString token_;

private Q_SLOTS:
    void initTestCase() {
        test::isolateSettings();
        if (!service::testing::tiny_sam3_present()) QSKIP("tests/data/sam3/tiny224 is missing");
        server_thread_ = std::make_unique<service::ModelThread>(std::make_shared<engine::ModelSession>());
        server_backend_ = service::testing::make_tiny_sam3_backend(*server_thread_);
        const service::LoadReply loaded = wait_for(server_backend_->reload());
        QVERIFY2(loaded.ok(), qPrintable(loaded.message));
        server_ = std::make_unique<service::ControlApiServer>(server_backend_.get());
        QString error;
        token_ = service::testing::start_with_random_token(*server_, service::testing::ModelEndpoints::On, &error);
        QVERIFY2(!token_.isEmpty(), qPrintable(error));
    }
    void cleanupTestCase() {
        server_.reset();
        server_backend_.reset();
        server_thread_.reset();
    }

    void clickGoesToTheServer() {
        service::save_backend_config(service::BackendConfig{true, server_->url(), token_});
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 1);
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(window.controlApi());
        QVERIFY(window.controlApi()->isRemote());
        auto* model_ui = window.findChild<ModelUi*>();
        QVERIFY(model_ui && model_ui->isRemote());
        QCOMPARE(model_ui->backend(), window.controlApi()->backend());
        QSignalSpy served(server_.get(), &service::ControlApiServer::requestServed);
        QVERIFY(window.openFolder(images.path()));

        SamTool* sam = model_ui->samTool();
        AnnotationDocument* doc = window.document();
        const QString path = doc->absolutePath(doc->currentIndex());
        // The image on screen is uploaded as soon as it is shown.
        QTRY_COMPARE_WITH_TIMEOUT(sam->uploadState(path), QStringLiteral("ready"), 60000);
        QVERIFY(window.toolBox()->activate(QStringLiteral("sam")));
        CanvasWidget* canvas = window.canvas();
        const QSize size = canvas->imageSize();
        test::click(canvas, size.width() * 0.5, size.height() * 0.5);
        QVERIFY(sam->pendingRequest() != 0);
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0, 60000);
        QVERIFY(sam->lastClickLatencyMs() > 0);

        // It went over HTTP: the server answered an encode and a segment; the GUI's worker has no model.
        QStringList paths;
        for (const QList<QVariant>& call : served) paths << call.at(1).toString();
        QVERIFY2(paths.contains("/api/v1/encode") && paths.contains("/api/v1/segment"), qPrintable(paths.join(',')));
        QCOMPARE(model_ui->worker()->state(), engine::SessionState::Unloaded);

        // The same prompt on the server's backend directly gives the same masks.
        QString error;
        auto image = service::read_model_image(path, &error);
        QVERIFY2(image, qPrintable(error));
        const service::EncodeReply encoded = wait_for(server_backend_->encode(image->image, QStringLiteral("direct")));
        QVERIFY2(encoded.ok(), qPrintable(encoded.message));
        engine::ClickPrompt prompt = sam->lastPrompt();
        QVERIFY(!prompt.points.empty());
        const service::SegmentReply direct = wait_for(server_backend_->segment(encoded.image_id, prompt));
        QVERIFY2(direct.ok(), qPrintable(direct.message));
        QCOMPARE(int(direct.result.candidates.size()), sam->candidateCount());
        for (std::size_t i = 0; i < direct.result.candidates.size(); ++i) {
            const auto& a = direct.result.candidates[i];
            const auto& b = sam->result().candidates[i];
            QCOMPARE(b.width, a.width);
            QCOMPARE(b.height, a.height);
            QVERIFY2(a.mask == b.mask, qPrintable(QString("candidate %1 differs").arg(i)));
            QVERIFY(std::abs(a.predicted_iou - b.predicted_iou) < 1e-4f);
        }

        // A second point refines the mask shown: the SAM tool names it (the
        // server kept its logits), and the answer is the server's own
        // refinement from those logits.
        const int shown = sam->shownCandidate();
        QVERIFY(sam->result().candidates[std::size_t(shown)].low_res.kept_by_server);
        test::click(canvas, size.width() * 0.55, size.height() * 0.45);
        QTRY_VERIFY_WITH_TIMEOUT(sam->pendingRequest() == 0 && sam->candidateCount() == 1, 60000);
        engine::ClickPrompt refine = sam->lastPrompt();
        QCOMPARE(int(refine.points.size()), 2);
        QVERIFY(!refine.multimask);
        QVERIFY(refine.previous_mask && refine.previous_mask->kept_by_server && refine.previous_mask->logits.empty());
        QCOMPARE(refine.previous_mask->kept_by_server->candidate, shown);
        refine.previous_mask = direct.result.candidates[std::size_t(shown)].low_res;  // the same logits, held here
        QVERIFY(!refine.previous_mask->logits.empty());
        const service::SegmentReply direct_refined = wait_for(server_backend_->segment(encoded.image_id, refine));
        QVERIFY2(direct_refined.ok(), qPrintable(direct_refined.message));
        QVERIFY(direct_refined.result.candidates[0].mask == sam->result().candidates[0].mask);
        refine.previous_mask.reset();  // and it is not what the points alone give
        const service::SegmentReply points_only = wait_for(server_backend_->segment(encoded.image_id, refine));
        QVERIFY(points_only.result.candidates[0].mask != sam->result().candidates[0].mask);

        // The server forgetting the image (unload drops its embeddings and uploads stay valid):
        // a second click still answers (re-upload on unknown_image, or a clear error when unloaded).
        const service::UnloadReply unloaded = wait_for(server_backend_->unload());
        QVERIFY(unloaded.ok());
        test::click(canvas, size.width() * 0.4, size.height() * 0.4);
        QTRY_COMPARE_WITH_TIMEOUT(sam->pendingRequest(), quint64(0), 30000);
        const service::LoadReply again = wait_for(server_backend_->reload());
        QVERIFY(again.ok());
    }
};

QTEST_MAIN(TestRemoteSamUi)
#include "test_remote_sam_ui.moc"
