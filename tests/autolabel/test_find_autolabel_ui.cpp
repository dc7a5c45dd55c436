// The find bar and the auto-label dialog in the main window, offscreen, with
// the tiny detection checkpoint (tests/data/sam3_detect/det224, click +
// detect parts) on the bundled sample images:
//  - Ctrl+F, a text prompt, Find: candidates listed and drawn; sliding the
//    threshold changes the list and never calls the model (counted at the
//    backend); accept selected / accept all are one undo step each; undo
//    brings the candidates back; a new search hides what overlaps an accepted
//    instance (the IoU that counts is adjustable); the hand-drawn instance is
//    untouched throughout;
//  - Tools > Auto-label over every sample, cancelled half-way (a request in
//    flight), then resumed: every image done exactly once, none lost, the
//    hand-drawn instance untouched; the dialog shows progress with images/s;
//  - a click during a run is answered before the run gets more than one image further;
//  - "Needs review" filters the image list, U jumps to the next such image,
//    Ctrl+R accepts its proposals; export "only reviewed" leaves the others out.
// SAMLABEL_SCREENSHOT_DIR=dir saves the find bar with results and the dialog running.
#include "core/annotation/edit_operations.h"
#include "core/annotation/project_file.h"
#include "core/io/dataset_export.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_worker.h"
#include "counting_backend.h"
#include "ui/autolabel/autolabel_controller.h"
#include "ui/autolabel/autolabel_ui.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/dialogs/autolabel_dialog.h"
#include "ui/docks/image_list_dock.h"
#include "ui/document/annotation_document.h"
#include "ui/find/find_panel.h"
#include "ui/find/find_session.h"
#include "ui/find/find_tool.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/sam_tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"

#include <QAction>
#include <QComboBox>
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <nlohmann/json.hpp>

#include <map>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

const QString kWeights = QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224");

void screenshot(QWidget* widget, const QString& name) {
    const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QApplication::processEvents();
    widget->grab().save(dir + "/" + name + ".png");
}

QAction* action(MainWindow& window, const char* name) {
    for (QAction* a : window.findChildren<QAction*>())
        if (a->objectName() == QLatin1String(name)) return a;
    return nullptr;
}

// The JSON of one instance as the project file writes it.
std::string instance_json(const annotation::Project& project, const std::string& image, std::uint64_t id) {
    for (const auto& img : nlohmann::json::parse(annotation::serialize(project))["images"])
        if (img["path"] == image)
            for (const auto& inst : img["instances"])
                if (inst["id"] == id) return inst.dump();
    return {};
}

int pending_on(const annotation::ImageAnnotations* image) {
    int n = 0;
    for (const auto& inst : image->instances) n += inst.review == annotation::ReviewState::Pending;
    return n;
}

}  // namespace

class TestFindAutolabelUi : public QObject {
    Q_OBJECT
    QTemporaryDir images_;
    std::unique_ptr<MainWindow> window_;
    AnnotationDocument* doc_ = nullptr;
    ModelUi* model_ = nullptr;
    AutolabelUi* al_ = nullptr;
    test::CountingBackend* counting_ = nullptr;
    std::uint64_t mine_ = 0;  // the hand-drawn instance
    std::string mine_image_, mine_before_;

private Q_SLOTS:
    void initTestCase() {
        test::isolateSettings();
        QVERIFY(test::copySamples(images_.path()) == 5);
        window_ = std::make_unique<MainWindow>();
        window_->resize(1500, 950);
        window_->show();
        QVERIFY(window_->openFolder(images_.path()));
        doc_ = window_->document();
        model_ = window_->findChild<ModelUi*>();
        al_ = window_->findChild<AutolabelUi*>();
        QVERIFY(model_ && al_);
        // Classes "car" and "person"; a hand-drawn car on the first image.
        QVERIFY(doc_->apply(std::make_unique<annotation::AddClass>("car", 0xff4040)));
        QVERIFY(doc_->apply(std::make_unique<annotation::AddClass>("person", 0x40ff40)));
        doc_->setCurrentIndex(0);
        annotation::Instance mine;
        mine.id = doc_->allocateInstanceId();
        mine.class_id = doc_->project().find_class_by_name("car")->id;
        mine.polygons = {annotation::PolygonWithHoles{{{10, 10}, {120, 10}, {120, 90}, {10, 90}}, {}}};
        mine.created_ms = mine.modified_ms = 5;
        mine_ = mine.id;
        mine_image_ = doc_->currentPath();
        QVERIFY(doc_->apply(std::make_unique<annotation::AddInstance>(mine_image_, mine)));
        mine_before_ = instance_json(doc_->project(), mine_image_, mine_);

        // Every model call goes through a counting backend over this window's model thread.
        auto* local = new service::LocalModelBackend(model_->worker(), window_.get());
        local->setLocalFilesAllowed(true);
        counting_ = new test::CountingBackend(local, window_.get());
        model_->setBackend(counting_, false);
        QSignalSpy loaded(model_->worker(), &service::ModelWorker::loadFinished);
        engine::LoadRequest request;
        request.checkpoint_dir = kWeights.toStdString();
        request.device = {engine::DeviceKind::Cpu, 0};
        request.dtype = engine::WeightDType::F32;
        request.parts = engine::PartSet::ClickAndDetect;
        model_->worker()->requestLoad(request, {});
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() > 0, 60000);  // count first: a model-thread signal may beat a wait()
        QVERIFY2(loaded.first().first().value<engine::LoadOutcome>().ok(), loaded.first().first().value<engine::LoadOutcome>().message.c_str());
    }

    void cleanupTestCase() { window_.reset(); }

    void find_slide_accept_undo() {
        doc_->setCurrentIndex(0);
        QTRY_VERIFY_WITH_TIMEOUT(window_->canvas()->hasImage(), 10000);
        FindPanel* panel = al_->findPanel();
        FindSession* session = al_->findSession();
        QVERIFY(!panel->isVisible());
        QTest::keyClick(window_.get(), Qt::Key_F, Qt::ControlModifier);
        QVERIFY(panel->isVisible());
        QCOMPARE(window_->toolBox()->activeTool(), static_cast<Tool*>(al_->findTool()));
        QTRY_VERIFY(panel->promptEdit()->hasFocus());
        QTest::keyClicks(panel->promptEdit(), "car");
        QCOMPARE(panel->classCombo()->currentText(), QStringLiteral("car"));  // the class the prompt names
        panel->thresholdSlider()->setValue(panel->thresholdSlider()->minimum());
        QSignalSpy finished(session, &FindSession::finished);
        QTest::keyClick(panel->promptEdit(), Qt::Key_Return);
        QVERIFY(finished.wait(30000));
        QCOMPARE(counting_->detectCalls(), 1);
        const int all = panel->resultList()->count();
        QVERIFY2(all >= 3, qPrintable(QString("only %1 candidates above the floor: the test needs a few").arg(all)));
        screenshot(window_.get(), "find-bar-results");

        // The slider filters live: the list shrinks, the model is not asked again.
        std::vector<float> scores;
        for (int i : session->visible()) scores.push_back(session->candidates()[std::size_t(i)].score);
        std::sort(scores.begin(), scores.end());
        const float middle = scores[scores.size() / 2];
        panel->thresholdSlider()->setValue(FindPanel::sliderValue(middle));
        const int fewer = panel->resultList()->count();
        QVERIFY2(fewer < all && fewer > 0, qPrintable(QString("%1 of %2").arg(fewer).arg(all)));
        for (int row = 0; row < fewer; ++row)
            QVERIFY(session->candidates()[std::size_t(session->visible()[std::size_t(row)])].score > session->threshold());
        panel->thresholdSlider()->setValue(panel->thresholdSlider()->minimum());
        QCOMPARE(panel->resultList()->count(), all);
        QCOMPARE(counting_->detectCalls(), 1);

        // Accept selected: one undo step, one instance (sam3-detect, its score, reviewed).
        QUndoStack* undo = doc_->undoStack();
        const int steps = undo->count();
        const std::size_t before = doc_->currentAnnotations()->instances.size();
        const int first = session->visible().front();
        const float first_score = session->candidates()[std::size_t(first)].score;
        panel->resultList()->item(0)->setSelected(true);
        panel->acceptSelected();
        QCOMPARE(undo->count(), steps + 1);
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before + 1);
        const annotation::Instance& added = doc_->currentAnnotations()->instances.back();
        QCOMPARE(added.source, annotation::InstanceSource::Sam3Detect);
        QCOMPARE(added.review, annotation::ReviewState::Reviewed);
        QCOMPARE(*added.score, first_score);
        QCOMPARE(added.class_id, doc_->project().find_class_by_name("car")->id);
        QCOMPARE(panel->resultList()->count(), all - 1);
        // Accept all: the rest in one more step.
        const int rest = panel->resultList()->count();
        panel->acceptAll();
        QCOMPARE(undo->count(), steps + 2);
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before + 1 + std::size_t(rest));
        QCOMPARE(panel->resultList()->count(), 0);
        // Undo the second accept: those candidates come back.
        undo->undo();
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before + 1);
        QCOMPARE(panel->resultList()->count(), rest);
        QCOMPARE(counting_->detectCalls(), 1);

        // Searching again: the accepted one is existing work now, hidden (not proposed twice).
        QVERIFY(session->find(QStringLiteral("car"), {}));
        QVERIFY(finished.wait(30000));
        QCOMPARE(counting_->detectCalls(), 2);
        QVERIFY(session->hiddenByOverlap() >= 1);
        QCOMPARE(panel->resultList()->count(), all - session->hiddenByOverlap());
        QVERIFY(panel->statusLabel()->text().contains("hidden"));
        // The IoU that counts as covering is adjustable, live: at 1.0 nothing is strictly above it.
        const int hidden = session->hiddenByOverlap();
        panel->overlapIouBox()->setValue(1.0);
        QCOMPARE(session->hiddenByOverlap(), 0);
        QCOMPARE(panel->resultList()->count(), all);
        panel->overlapIouBox()->setValue(0.7);
        QCOMPARE(session->hiddenByOverlap(), hidden);
        QCOMPARE(counting_->detectCalls(), 2);
        QCOMPARE(instance_json(doc_->project(), mine_image_, mine_), mine_before_);
        undo->undo();  // leave the image as it was for the auto-label run
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before);
    }

    // A prompt no class names or keeps as its prompt: Accept asks which class
    // (a new one named after the prompt, or an existing one); cancelling the
    // question accepts nothing.
    void find_asks_which_class_when_none_matches() {
        doc_->setCurrentIndex(0);
        QTRY_VERIFY_WITH_TIMEOUT(window_->canvas()->hasImage(), 10000);
        FindPanel* panel = al_->findPanel();
        FindSession* session = al_->findSession();
        if (!panel->isVisible()) QTest::keyClick(window_.get(), Qt::Key_F, Qt::ControlModifier);
        QVERIFY(!doc_->project().find_class_by_name("zebra"));
        panel->promptEdit()->clear();
        QTest::keyClicks(panel->promptEdit(), "zebra");
        QCOMPARE(panel->classCombo()->currentData().toInt(), int(annotation::kNoClass));  // "Ask when accepting..."
        panel->thresholdSlider()->setValue(panel->thresholdSlider()->minimum());
        panel->replaceBox()->setChecked(true);  // nothing hidden by earlier accepts
        QSignalSpy finished(session, &FindSession::finished);
        QTest::keyClick(panel->promptEdit(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > 0, 30000);
        const int shown = panel->resultList()->count();
        QVERIFY2(shown >= 2, qPrintable(QString("only %1 candidates: the test needs two").arg(shown)));
        const std::size_t before = doc_->currentAnnotations()->instances.size();
        QUndoStack* undo = doc_->undoStack();
        const int steps = undo->index();

        // Answers the question the next accept asks: `choice` is the item to pick, empty cancels.
        QStringList offered;
        const auto answer = [&offered](const QString& choice) {
            auto* timer = new QTimer;
            timer->setInterval(20);
            QObject::connect(timer, &QTimer::timeout, [timer, choice, &offered] {
                auto* dialog = qobject_cast<QInputDialog*>(QApplication::activeModalWidget());
                if (!dialog) return;
                timer->stop();
                timer->deleteLater();
                offered = dialog->comboBoxItems();
                if (choice.isEmpty()) {
                    dialog->reject();
                } else {
                    dialog->setTextValue(choice);
                    dialog->accept();
                }
            });
            timer->start();
        };

        // Cancelled: nothing accepted, nothing on the undo stack.
        answer(QString());
        panel->acceptAll();
        QVERIFY2(offered.contains(QStringLiteral("New class \"zebra\"")), qPrintable(offered.join('|')));
        QVERIFY(offered.contains(QStringLiteral("car")));
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before);
        QCOMPARE(undo->index(), steps);
        QCOMPARE(panel->resultList()->count(), shown);

        // A new class named after the prompt.
        panel->resultList()->item(0)->setSelected(true);
        answer(QStringLiteral("New class \"zebra\""));
        panel->acceptSelected();
        const annotation::LabelClass* zebra = doc_->project().find_class_by_name("zebra");
        QVERIFY(zebra);
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before + 1);
        QCOMPARE(doc_->currentAnnotations()->instances.back().class_id, zebra->id);
        QCOMPARE(panel->classCombo()->currentText(), QStringLiteral("zebra"));  // asked once: the next accept uses it

        // The rest, asked again as an existing class once the choice is back on "ask".
        panel->classCombo()->setCurrentIndex(panel->classCombo()->findData(int(annotation::kNoClass)));
        answer(QStringLiteral("car"));
        const int rest = panel->resultList()->count();
        panel->acceptAll();
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before + 1 + std::size_t(rest));
        QCOMPARE(doc_->currentAnnotations()->instances.back().class_id, doc_->project().find_class_by_name("car")->id);

        // Leave the project as it was for the next cases.
        while (undo->index() > steps) undo->undo();
        QCOMPARE(doc_->currentAnnotations()->instances.size(), before);
        QVERIFY(!doc_->project().find_class_by_name("zebra"));
        panel->replaceBox()->setChecked(false);
    }

    void autolabel_cancel_half_way_then_resume() {
        const int samples = doc_->imageCount();
        QCOMPARE(samples, 5);
        QAction* open = action(*window_, "autolabel");
        QVERIFY(open);
        open->trigger();
        AutolabelDialog* dialog = al_->dialog();
        QVERIFY(dialog->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->readinessKnown(), 20000);
        QVERIFY2(dialog->detectionReady(), qPrintable(dialog->readinessLabel()->text()));
        dialog->scopeButton(int(autolabel::Scope::All))->setChecked(true);
        // Two classes at a low threshold: the random model proposes something.
        QTableWidget* table = dialog->classTable();
        for (int row = 0; row < table->rowCount(); ++row) {
            const bool wanted = table->item(row, 0)->text() != QLatin1String("object");
            table->item(row, 0)->setCheckState(wanted ? Qt::Checked : Qt::Unchecked);
            table->item(row, 2)->setText(QStringLiteral("0.30"));
        }
        table->item(1, 1)->setText(QStringLiteral("red car"));  // car, searched as "red car"
        QVERIFY(dialog->startButton()->isEnabled());

        AutolabelController* run = al_->controller();
        QObject listening;  // the connections below end with this test
        std::map<std::string, int> done;
        connect(run, &AutolabelController::imageDone, &listening, [&](const QString& path) { ++done[path.toStdString()]; });
        // Cancel once two images are in, with the third one's request in flight.
        auto* half = new QObject(&listening);
        connect(run, &AutolabelController::imageDone, half, [&] {
            if (done.size() != 2) return;
            QTimer::singleShot(0, &listening, [&] { QTimer::singleShot(0, &listening, [&] { dialog->cancelButton()->click(); }); });
        });
        bool shot = false;
        connect(run, &AutolabelController::progressed, &listening, [&] {
            if (!shot) screenshot(dialog, "autolabel-dialog-running");
            shot = true;
        });
        QSignalSpy finished(run, &AutolabelController::finished);
        dialog->startButton()->click();
        QVERIFY(run->running());
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(0).toBool(), true);  // cancelled
        delete half;
        QCOMPARE(done.size(), std::size_t(2));
        QCOMPARE(run->processed().size(), std::size_t(3));  // the third was in flight and is dropped
        QVERIFY(dialog->progressLabel()->text().contains("cancelled"));
        // The two finished images are in the project, stamped; the others are not.
        int stamped = 0;
        for (const auto& [path, image] : doc_->project().images()) stamped += image.autolabel.has_value();
        QCOMPARE(stamped, 2);
        QVERIFY2(dialog->startButton()->text().startsWith("Resume"), qPrintable(dialog->startButton()->text() + " / " + dialog->startButton()->toolTip()));
        // The prompt edit was saved with the class.
        QCOMPARE(doc_->project().find_class_by_name("car")->prompt, std::string("red car"));
        QCOMPARE(*doc_->project().find_class_by_name("car")->threshold, 0.3f);

        // Resume: only the rest, the dropped one included.
        dialog->startButton()->click();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(0).toBool(), false);
        QCOMPARE(int(done.size()), samples);
        for (const auto& [path, n] : done) QVERIFY2(n == 1, path.c_str());  // none twice, none lost
        QCOMPARE(int(run->processed().size()), samples - 2);
        stamped = 0;
        for (const auto& [path, image] : doc_->project().images()) stamped += image.autolabel.has_value();
        QCOMPARE(stamped, samples);
        QCOMPARE(instance_json(doc_->project(), mine_image_, mine_), mine_before_);
        QVERIFY(run->proposals() > 0);
        QVERIFY(dialog->progressLabel()->text().contains("image(s) done"));
        // Starting again has nothing to do.
        QVERIFY(dialog->startButton()->text().startsWith("Resume (5"));
        dialog->startButton()->click();
        QVERIFY(!run->running());
        QVERIFY2(dialog->progressLabel()->text().contains("done with these prompts already"), qPrintable(dialog->progressLabel()->text()));
        screenshot(dialog, "autolabel-dialog-finished");
        dialog->hide();
    }

    void clicks_stay_interactive_during_a_run() {
        AutolabelController* run = al_->controller();
        QObject listening;  // the connections below end with this test
        // A new recipe (another prompt), so every image is to do again.
        AutolabelController::Job job;
        job.recipe.model = {"click-test", "float32"};
        job.recipe.classes = {{"person", "blue person", 0.3f}};
        int images_done = 0;
        connect(run, &AutolabelController::imageDone, &listening, [&] { ++images_done; });
        doc_->setCurrentIndex(2);
        QTRY_VERIFY_WITH_TIMEOUT(window_->canvas()->hasImage(), 10000);
        QVERIFY(window_->toolBox()->activate(QStringLiteral("sam")));
        SamTool* sam = model_->samTool();
        int done_when_sent = -1, done_when_answered = -1;
        connect(sam, &SamTool::clickLatency, &listening, [&] { done_when_answered = images_done; });
        connect(run, &AutolabelController::imageDone, &listening, [&] {
            if (done_when_sent >= 0) return;
            done_when_sent = images_done;
            const QSize size = window_->canvas()->imageSize();
            test::click(window_->canvas(), size.width() * 0.5, size.height() * 0.5);
        });
        QSignalSpy finished(run, &AutolabelController::finished);
        QVERIFY(run->start(job));
        QVERIFY(finished.wait(60000));
        QVERIFY(done_when_sent >= 1);
        QTRY_VERIFY_WITH_TIMEOUT(done_when_answered >= 0, 10000);
        QVERIFY2(done_when_answered <= done_when_sent + 1,
                 qPrintable(QString("the click waited for %1 images of the run").arg(done_when_answered - done_when_sent)));
        QVERIFY(counting_->segmentCalls() >= 1);
        sam->cancel();
        window_->toolBox()->activate(QStringLiteral("polygon"));
    }

    void review_filter_keys_and_export() {
        int needing = 0, pending = 0;
        for (int i = 0; i < doc_->imageCount(); ++i) {
            const int p = pending_on(doc_->annotations(i));
            needing += p > 0;
            pending += p;
        }
        QVERIFY2(needing >= 2, "the runs left fewer than two images to review");
        // The image list's "Needs review" filter.
        auto* filter = window_->imageListDock()->findChild<QComboBox*>("status_filter");
        filter->setCurrentIndex(filter->findText("Needs review"));
        QCOMPARE(window_->imageListDock()->view()->model()->rowCount(), needing);
        // U jumps to the next image with proposals to review (the window's
        // shortcuts need it active again after the dialog).
        window_->activateWindow();
        QTRY_VERIFY(QApplication::activeWindow() == window_.get());
        doc_->setCurrentIndex(0);
        window_->canvas()->setFocus();
        const int from = doc_->currentIndex();
        int expected = -1;
        for (int step = 1; step <= doc_->imageCount() && expected < 0; ++step) {
            const int i = (from + step) % doc_->imageCount();
            if (i != from && pending_on(doc_->annotations(i)) > 0) expected = i;
        }
        QVERIFY(expected >= 0);
        QTest::keyClick(window_.get(), Qt::Key_U);
        QCOMPARE(doc_->currentIndex(), expected);
        QVERIFY(pending_on(doc_->currentAnnotations()) > 0);
        // Ctrl+R accepts them (one undo step) and goes on.
        const std::string reviewed = doc_->currentPath();
        const int steps = doc_->undoStack()->count();
        QTest::keyClick(window_.get(), Qt::Key_R, Qt::ControlModifier);
        QCOMPARE(doc_->undoStack()->count(), steps + 1);
        QCOMPARE(pending_on(doc_->project().find_image(reviewed)), 0);
        QCOMPARE(window_->imageListDock()->view()->model()->rowCount(), needing - 1);
        filter->setCurrentIndex(0);

        // Export "only reviewed": every pending proposal is left out and named.
        int still_pending = 0;
        for (int i = 0; i < doc_->imageCount(); ++i) still_pending += pending_on(doc_->annotations(i));
        QTemporaryDir out;
        io::ExportOptions options;
        options.format = io::ExportFormat::Coco;
        options.output_dir = (out.path() + "/coco").toStdString();
        options.only_reviewed = true;
        const io::ExportReport report = io::export_dataset(doc_->project(), images_.path().toStdString(), options);
        int not_reviewed = 0;
        for (const auto& s : report.skipped) not_reviewed += s.reason == io::SkipReason::NotReviewed;
        QCOMPARE(not_reviewed, still_pending);
        options.only_reviewed = false;
        options.output_dir = (out.path() + "/all").toStdString();
        const io::ExportReport all = io::export_dataset(doc_->project(), images_.path().toStdString(), options);
        QCOMPARE(report.instances_total, all.instances_total);
        QVERIFY(report.instances_written + std::size_t(still_pending) <= all.instances_written);
        QCOMPARE(instance_json(doc_->project(), mine_image_, mine_), mine_before_);
    }
};

QTEST_MAIN(TestFindAutolabelUi)
#include "test_find_autolabel_ui.moc"
