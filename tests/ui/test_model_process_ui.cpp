// The window with its model in a model process (Preferences > Model: "In a
// model process"): the panel loads through ChildProcessModelBackend, the model
// process reads and encodes the image on screen and the next one itself (no
// pixels are sent; the status bar follows its encodes), a click becomes an instance, Unload ends the process, and a model process killed
// (SIGKILL, as the out-of-memory killer or a driver fault would) leaves the
// window up, says what happened, keeps every annotation, and Load starts a
// new one. Uses the tiny committed checkpoint and the built samlabel-cli.
#include "core/service/child_process_model_backend.h"
#include "core/service/control_api_settings.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/control_api_integration.h"
#include "ui/docks/model_panel.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"

#include <QLabel>
#include <QPushButton>
#include <QStatusBar>
#include <QTest>

#include <csignal>
#include <filesystem>

#include <sys/types.h>
#include <unistd.h>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

const QString kTiny = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");
const QString kCli = QStringLiteral(SAMLABEL_BINARY_DIR "/app/samlabel-cli");

bool process_exists(qint64 pid) { return pid > 0 && ::kill(pid_t(pid), 0) == 0; }

// SAMLABEL_SCREENSHOT_DIR=dir saves window grabs at the interesting moments.
void screenshot(QWidget* window, const QString& name) {
    const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QApplication::processEvents();
    window->grab().save(dir + "/" + name + ".png");
}

}  // namespace

class TestModelProcessUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        test::isolateSettings();
        QVERIFY2(QFile::exists(kCli), "samlabel-cli is not built (the test depends on it)");
        QVERIFY2(std::filesystem::exists((kTiny + "/model.safetensors").toStdString()), "tests/data/sam3/tiny224 is missing");
        qputenv("SAMLABEL_CLI", kCli.toUtf8());
        service::BackendConfig config;
        config.placement = service::ModelPlacement::ModelProcess;
        service::save_backend_config(config);
    }

    void loadClickUnloadAndSurviveACrash() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 1);
        MainWindow window;
        window.resize(1300, 850);
        window.show();
        QVERIFY(window.controlApi() && window.controlApi()->isModelProcess());
        auto* model_ui = window.findChild<ModelUi*>();
        auto* child = qobject_cast<service::ChildProcessModelBackend*>(model_ui->backend());
        QVERIFY2(child, "the window's model is not a model process");
        ModelPanel* panel = model_ui->panel();
        QCOMPARE(panel->backend(), model_ui->backend());
        QVERIFY(window.openFolder(images.path()));

        auto* load = panel->findChild<QPushButton*>("loadButton");
        auto* unload = panel->findChild<QPushButton*>("unloadButton");
        auto* where = panel->findChild<QLabel*>("modelWhere");
        panel->setWeightsFolder(kTiny);
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled(), 15000);  // the preflight ran without a model process
        QCOMPARE(child->childPid(), qint64(0));
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled(), 60000);
        const qint64 first_pid = child->childPid();
        QVERIFY(process_exists(first_pid));
        QTRY_VERIFY_WITH_TIMEOUT(where->text().contains(QString::number(first_pid)), 5000);

        // The model process encodes the image on screen and the next one from
        // their files; the status bar says so, as with the model in this process.
        AnnotationDocument* doc = window.document();
        SamTool* sam = model_ui->samTool();
        QVERIFY(!model_ui->uploadsImages());
        const QString on_screen = doc->absolutePath(doc->currentIndex());
        QTRY_COMPARE_WITH_TIMEOUT(model_ui->encodeState(on_screen), QStringLiteral("encoded"), 60000);
        if (doc->imageCount() > doc->currentIndex() + 1)
            QTRY_COMPARE_WITH_TIMEOUT(model_ui->encodeState(doc->absolutePath(doc->currentIndex() + 1)), QStringLiteral("encoded"), 60000);
        auto* sam_status = window.statusBar()->findChild<QLabel*>(QStringLiteral("samStatus"));
        QVERIFY(sam_status);
        QTRY_VERIFY_WITH_TIMEOUT(sam_status->text().contains(QStringLiteral("SAM: encode")), 5000);
        QCOMPARE(sam->uploadState(on_screen), QString());  // never sent as pixels
        // A click through the model process (by the file's path) becomes an instance.
        QVERIFY(window.toolBox()->activate(QStringLiteral("sam")));
        CanvasWidget* canvas = window.canvas();
        const QSize size = canvas->imageSize();
        const auto instance_count = [doc] { return int(doc->currentAnnotations()->instances.size()); };
        const int before = instance_count();
        test::click(canvas, size.width() * 0.5, size.height() * 0.5);
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0, 60000);
        QTest::keyClick(canvas, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(instance_count(), before + 1, 5000);
        screenshot(&window, "model-process-loaded");

        // Settings the model process refuses (it wants an absolute disk cache
        // folder) are said in the status bar; then the panel's own go back.
        service::RuntimeSettings refused = panel->runtimeSettings();
        refused.disk_cache_dir = QStringLiteral("relative/cache");
        child->applyRuntimeSettings(refused);
        QTRY_VERIFY_WITH_TIMEOUT(window.statusBar()->currentMessage().contains(QStringLiteral("did not take the new settings")), 10000);
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("absolute")), qPrintable(window.statusBar()->currentMessage()));
        // The status bar cuts it; the panel says it whole.
        auto* refused_label = panel->findChild<QLabel*>("settingsRefused");
        QVERIFY(refused_label);
        QTRY_VERIFY_WITH_TIMEOUT(refused_label->isVisible(), 5000);
        QVERIFY2(refused_label->text().contains(QStringLiteral("must be an absolute folder path")), qPrintable(refused_label->text()));
        QTRY_VERIFY_WITH_TIMEOUT(!refused_label->visibleRegion().isEmpty(), 5000);  // scrolled into view
        screenshot(&window, "model-process-settings-refused");
        child->applyRuntimeSettings(panel->runtimeSettings());

        // Unload ends the model process.
        QTest::mouseClick(unload, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!process_exists(first_pid), 15000);
        auto* last_unload = panel->findChild<QLabel*>("lastUnload");
        QTRY_VERIFY_WITH_TIMEOUT(last_unload->text().contains(QStringLiteral("model process ended")), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled(), 10000);

        // Load again, then the model process dies under the window.
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled(), 60000);
        const qint64 second_pid = child->childPid();
        QVERIFY(second_pid != first_pid && process_exists(second_pid));
        QVERIFY(::kill(pid_t(second_pid), SIGKILL) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(window.statusBar()->currentMessage().contains(QStringLiteral("untouched")), 15000);
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("signal 9")) ||
                     window.statusBar()->currentMessage().contains(QStringLiteral("SIGKILL")),
                 qPrintable(window.statusBar()->currentMessage()));
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled() && !unload->isEnabled(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(last_unload->text().contains(QStringLiteral("ended unexpectedly")), 5000);  // the panel says it too
        QCOMPARE(instance_count(), before + 1);  // the accepted instance is still there
        screenshot(&window, "model-process-lost");
        QVERIFY(window.isVisible());

        // Load starts a new model process, and clicks work again.
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled(), 60000);
        QVERIFY(process_exists(child->childPid()) && child->childPid() != second_pid);
        QTRY_COMPARE_WITH_TIMEOUT(model_ui->encodeState(doc->absolutePath(doc->currentIndex())), QStringLiteral("encoded"), 60000);
        test::click(canvas, size.width() * 0.3, size.height() * 0.3);
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0 && sam->pendingRequest() == 0, 60000);
    }
};

QTEST_MAIN(TestModelProcessUi)
#include "test_model_process_ui.moc"
