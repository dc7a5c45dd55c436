// The model in the main window: the preflight verdict shows before Load, Load
// runs on the worker (progress, state), the image on screen is encoded at once
// and the next one ahead, a click on the canvas gives a mask preview without
// blocking, Tab cycles candidates, Enter accepts an undoable SAM3 instance,
// Esc discards, Unload reports what it freed and marks the gauge, which samples
// at >= 2 Hz. Uses the tiny committed SAM3 checkpoint (tests/data/sam3/tiny224).
//
// SAMLABEL_SCREENSHOT_DIR=dir saves window grabs at the interesting moments.
#include "core/annotation/rle.h"
#include "core/service/model_worker.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/docks/memory_gauge_dock.h"
#include "ui/docks/model_panel.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

void screenshot(QWidget* window, const QString& name) {
    const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QApplication::processEvents();
    window->grab().save(dir + "/" + name + ".png");
}

}  // namespace

class TestModelUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void loadClickAcceptUnload() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 2);
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QVERIFY(window.openFolder(images.path()));
        auto* model_ui = window.findChild<ModelUi*>();
        QVERIFY(model_ui);
        ModelPanel* panel = model_ui->panel();
        MemoryGaugeDock* gauge = model_ui->gauge();
        service::ModelWorker* worker = model_ui->worker();
        auto* load = panel->findChild<QPushButton*>("loadButton");
        auto* unload = panel->findChild<QPushButton*>("unloadButton");
        QVERIFY(load && unload);

        // No folder yet: Load is off and the panel says why.
        QVERIFY(!load->isEnabled());
        // The verdict appears before Load is pressed.
        const QString weights = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");
        panel->setWeightsFolder(weights);
        QTRY_VERIFY_WITH_TIMEOUT(panel->verdictText().contains("Fits"), 10000);
        QVERIFY(load->isEnabled());
        // A folder without a checkpoint: a clear error, Load off.
        panel->setWeightsFolder(images.path());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->verdictText().contains("Fits") && !panel->verdictText().contains("Checking"), 10000);
        QVERIFY(!load->isEnabled());
        panel->setWeightsFolder(weights);
        QTRY_VERIFY_WITH_TIMEOUT(panel->verdictText().contains("Fits"), 10000);

        // The gauge samples at >= 2 Hz.
        const int before = gauge->sampleCount();
        QTest::qWait(1100);
        QVERIFY2(gauge->sampleCount() - before >= 2, qPrintable(QString::number(gauge->sampleCount() - before)));
        screenshot(&window, "01-before-load");

        QSignalSpy finished(worker, &service::ModelWorker::loadFinished);
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);  // count first: a model-thread signal may beat a wait()
        QTRY_COMPARE_WITH_TIMEOUT(worker->state(), engine::SessionState::Ready, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(unload->isEnabled(), 5000);

        // The image on screen is encoded as soon as the model is there.
        AnnotationDocument* doc = window.document();
        const QString current = doc->absolutePath(doc->currentIndex());
        QTRY_COMPARE_WITH_TIMEOUT(model_ui->encodeState(current), QStringLiteral("encoded"), 20000);
        // While an image on screen encodes, the status and the canvas say how far
        // it is and how long it should take (issue 13, item 4). The worker's
        // signals are played here with known numbers: 10 of 33 steps in 5 s is
        // 30 %, and 23 steps at 0.5 s each are about 12 s.
        auto* status_label = window.findChild<QLabel*>("samStatus");
        QVERIFY(status_label);
        Q_EMIT worker->encodeStarted(current);
        Q_EMIT worker->encodeProgress(current, 10, 33, 5000.0);
        QVERIFY2(status_label->text().contains(QStringLiteral("encoding image 30 % (about 12 s left)")), qPrintable(status_label->text()));
        screenshot(&window, "01b-encode-progress");
        engine::EncodeOutcome done;
        done.status = engine::EncodeStatus::MemoryCacheHit;
        Q_EMIT worker->encoded(current, done);
        QVERIFY2(!status_label->text().contains(QStringLiteral("%")), qPrintable(status_label->text()));
        QCOMPARE(model_ui->encodeState(current), QStringLiteral("cached"));
        // ... and the next one ahead.
        QTRY_COMPARE_WITH_TIMEOUT(model_ui->encodeState(doc->absolutePath(doc->currentIndex() + 1)), QStringLiteral("encoded"),
                                  20000);

        // A click segments without blocking; the preview appears.
        QVERIFY(window.toolBox()->activate(QStringLiteral("sam")));
        SamTool* sam = model_ui->samTool();
        CanvasWidget* canvas = window.canvas();
        const QSize size = canvas->imageSize();
        test::click(canvas, size.width() * 0.5, size.height() * 0.5);
        QVERIFY(sam->pendingRequest() != 0);  // returned at once, answer pending
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0, 10000);
        QVERIFY(sam->lastClickLatencyMs() > 0);
        auto* status = window.findChild<QLabel*>("samStatus");
        QVERIFY(status && status->text().contains("click"));
        // Tab cycles the multimask candidates.
        if (sam->candidateCount() > 1) {
            const int shown = sam->shownCandidate();
            QTest::keyClick(canvas, Qt::Key_Tab);
            QCOMPARE(sam->shownCandidate(), (shown + 1) % sam->candidateCount());
            QTest::keyClick(canvas, Qt::Key_Backtab, Qt::ShiftModifier);
            QCOMPARE(sam->shownCandidate(), shown);
        }
        screenshot(&window, "02-sam-preview");

        // Enter accepts the mask shown: one instance, source sam3, with exactly
        // its pixels, undoable. The random-weight model's answer is fixed for
        // this click; Tab brings a candidate with pixels on screen (an empty
        // mask would add nothing, and prove nothing).
        const auto count = [&] { return doc->currentAnnotations()->instances.size(); };
        const auto shown_pixels = [&] {
            const engine::MaskCandidate& c = sam->result().candidates.at(std::size_t(sam->shownCandidate()));
            return std::count_if(c.mask.begin(), c.mask.end(), [](std::uint8_t v) { return v != 0; });
        };
        for (int k = 1; k < sam->candidateCount() && shown_pixels() == 0; ++k) QVERIFY(sam->cycleCandidate(true));
        const auto pixels = shown_pixels();
        QVERIFY2(pixels > 0, "every candidate of this click is empty: the accept below would prove nothing");
        const std::size_t n0 = count();
        QVERIFY(sam->accept());
        QCOMPARE(count(), n0 + 1);
        const annotation::Instance& added = doc->currentAnnotations()->instances.back();
        QCOMPARE(added.source, annotation::InstanceSource::Sam3);
        QVERIFY(added.mask);
        QCOMPARE(std::int64_t(annotation::rle_area(*added.mask)), std::int64_t(pixels));
        doc->undoStack()->undo();
        QCOMPARE(count(), n0);
        // Esc discards a pending preview.
        test::click(canvas, size.width() * 0.3, size.height() * 0.3);
        QTRY_VERIFY_WITH_TIMEOUT(sam->candidateCount() > 0, 10000);
        QVERIFY(sam->cancel());
        QCOMPARE(sam->candidateCount(), 0);
        QCOMPARE(count(), n0);

        // Heard through a queued connection: the worker emits on its thread, and
        // a QSignalSpy's wait() misses a signal that arrives before it starts.
        int unloaded = 0;
        connect(worker, &service::ModelWorker::unloaded, this, [&] { ++unloaded; });
        QTest::mouseClick(unload, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(unloaded, 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(worker->state(), engine::SessionState::Unloaded, 5000);
        auto* last_unload = panel->findChild<QLabel*>("lastUnload");
        QTRY_VERIFY_WITH_TIMEOUT(last_unload->text().contains("freed"), 5000);
        QTest::qWait(600);  // a few samples after the drop
        screenshot(&window, "03-after-unload");
    }
};

QTEST_MAIN(TestModelUi)
#include "test_model_ui.moc"
