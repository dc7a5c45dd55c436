// The small things of issue 13, item 9, each as a user meets it: the training
// log shows the start of its lines; "&&" never shows literally; export notes
// read "4 px", not "4.000000 px"; a failed export's progress does not claim
// "0 / 1 images"; the Image menu names the classes; the control API's token
// placeholder is readable in full; the last unload's line goes when a model
// loads again; the model panel offers click, detection (text prompts) and both,
// and says before Load that a folder without tokenizer files cannot detect;
// the toolbar and the window have icons from the bundled icon set, with its
// licence beside it.
#include "core/engine/engine_types.h"
#include "core/engine/model_session.h"
#include "core/io/export_options.h"
#include "core/service/model_worker.h"
#include "ui/dialogs/control_api_settings_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/dialogs/unload_and_train_dialog.h"
#include "ui/docks/classes_dock.h"
#include "ui/docks/model_panel.h"
#include "ui/docks/training_log_dock.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/new_instance.h"
#include "ui/tools/tool.h"
#include "ui_test_helpers.h"

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QTextBlock>
#include <QToolBar>
#include <QWidgetAction>

#include <opencv2/imgproc.hpp>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

void screenshot(QWidget* w, const QString& name) {
    const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QApplication::processEvents();
    w->grab().save(dir + "/" + name + ".png");
}

bool loadModel(ModelUi* model_ui, const QString& folder, engine::PartSet parts) {
    ModelPanel* panel = model_ui->panel();
    auto* combo = panel->findChild<QComboBox*>(QStringLiteral("parts"));
    combo->setCurrentIndex(combo->findData(int(parts)));
    panel->setWeightsFolder(folder);
    auto* load = panel->findChild<QPushButton*>(QStringLiteral("loadButton"));
    if (!QTest::qWaitFor([&] { return load->isEnabled(); }, 15000)) {
        qWarning() << "Load stayed off:" << panel->verdictText();
        return false;
    }
    QSignalSpy finished(model_ui->worker(), &service::ModelWorker::loadFinished);
    QTest::mouseClick(load, Qt::LeftButton);
    // Count first: a tiny model's load can finish before a wait() would start.
    if (!QTest::qWaitFor([&] { return finished.count() > 0; }, 60000)) {
        qWarning() << "no loadFinished after Load";
        return false;
    }
    // Ready as the user sees it: the panel offers Unload.
    auto* unload = panel->findChild<QPushButton*>(QStringLiteral("unloadButton"));
    return QTest::qWaitFor([&] { return model_ui->worker()->state() == engine::SessionState::Ready && unload->isEnabled(); }, 5000);
}

}  // namespace

class TestSmallThings : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }
    void init() { QSettings().clear(); }

    // Ultralytics prints long lines: the log still shows where each line starts.
    void trainingLogShowsTheStartOfLines() {
        TrainingLogDock dock;
        dock.resize(420, 240);
        dock.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dock));
        auto* log = dock.findChild<QPlainTextEdit*>();
        QVERIFY(log);
        dock.appendLine(QStringLiteral("Ultralytics 8.3 Python-3.11 torch-2.5 CPU (Intel Xeon) ") + QString(200, QLatin1Char('=')));
        for (int epoch = 1; epoch <= 30; ++epoch)
            dock.appendLine(QStringLiteral("      %1/30      0G      1.234      2.345      1.111         12        640: 100%|██████████| 3/3 [00:01<00:00,  2.0it/s]")
                                .arg(epoch));
        QApplication::processEvents();
        screenshot(&dock, "training-log");
        QCOMPARE(log->horizontalScrollBar()->value(), 0);
        // The first character of the newest line is inside the viewport.
        QTextCursor last(log->document()->lastBlock());
        const QRect caret = log->cursorRect(last);
        QVERIFY2(caret.left() >= 0 && caret.left() < 20, qPrintable(QString::number(caret.left())));
    }

    // "&&" is how a menu writes "&"; everywhere else it must not show doubled.
    void noLiteralDoubleAmpersand() {
        UnloadAndTrainDialog dialog(QString{});
        QVERIFY2(!dialog.windowTitle().contains(QStringLiteral("&&")), qPrintable(dialog.windowTitle()));
        TrainingLogDock dock;
        for (QLabel* label : dock.findChildren<QLabel*>())
            QVERIFY2(!label->text().contains(QStringLiteral("&&")), qPrintable(label->text()));
        MainWindow window;
        for (QWidget* w : window.findChildren<QWidget*>()) {
            if (auto* label = qobject_cast<QLabel*>(w)) QVERIFY2(!label->text().contains(QStringLiteral("&&")), qPrintable(label->text()));
            QVERIFY2(!w->windowTitle().contains(QStringLiteral("&&")), qPrintable(w->windowTitle()));
        }
    }

    // Mask specks below the minimum area are reported as "below 4 px", a number a person writes.
    void exportNotesReadLikeNumbers() {
        QTemporaryDir images, out;
        QVERIFY(test::copySamples(images.path()) >= 1);
        AnnotationDocument doc;
        QVERIFY(doc.open(images.path()));
        doc.setCurrentIndex(0);  // astronaut.jpg, 512x512
        doc.recordImageSize(0, 512, 512);
        cv::Mat1b mask = cv::Mat1b::zeros(512, 512);
        cv::rectangle(mask, cv::Rect(20, 20, 60, 50), cv::Scalar(255), cv::FILLED);
        mask(90, 90) = 255;  // a one-pixel speck, below the 4 px minimum
        QVERIFY(addMaskInstance(doc, mask, annotation::InstanceSource::GrabCut));
        ExportDialog dialog(&doc);
        dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(int(io::ExportFormat::YoloSegment)));
        dialog.outputEdit()->setText(out.path() + "/yolo");
        QSignalSpy finished(&dialog, &ExportDialog::finished);
        QVERIFY(dialog.startExport());
        QVERIFY(finished.wait(30000));
        const QString text = dialog.reportText();
        QVERIFY2(text.contains(QStringLiteral("below 4 px")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral(".000000")), qPrintable(text));
    }

    // Nothing annotated: the export fails, and the bar does not claim "0 / 1 images".
    void failedExportProgressTellsTheTruth() {
        QTemporaryDir images, out;
        const int n = test::copySamples(images.path());
        QVERIFY(n >= 2);
        AnnotationDocument doc;
        QVERIFY(doc.open(images.path()));
        ExportDialog dialog(&doc);
        dialog.outputEdit()->setText(out.path() + "/yolo");
        QSignalSpy finished(&dialog, &ExportDialog::finished);
        QVERIFY(dialog.startExport());
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.front().front().toBool(), false);
        QProgressBar* bar = dialog.progressBar();
        screenshot(&dialog, "export-failed");
        QVERIFY2(!bar->isTextVisible() || !bar->text().contains(QStringLiteral("/ 1 images")), qPrintable(bar->text()));
        QVERIFY2(!bar->isTextVisible() || bar->text().contains(QStringLiteral("failed")), qPrintable(bar->text()));
    }

    void imageMenuNamesTheClasses() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 1);
        MainWindow window;
        QVERIFY(window.openFolder(images.path()));
        window.classesDock()->addClass(QStringLiteral("zebra"));
        QAction* first = window.findChild<QAction*>(QStringLiteral("pick_class_1"));
        QAction* second = window.findChild<QAction*>(QStringLiteral("pick_class_2"));
        QAction* ninth = window.findChild<QAction*>(QStringLiteral("pick_class_9"));
        QVERIFY(first && second && ninth);
        const QString first_name = QString::fromStdString(window.document()->project().classes().at(0).name);
        QVERIFY2(first->text().contains(first_name), qPrintable(first->text()));
        QVERIFY2(second->text().contains(QStringLiteral("zebra")), qPrintable(second->text()));
        QVERIFY(!ninth->isEnabled());  // no ninth class
        window.classesDock()->list()->setCurrentRow(1);
        window.classesDock()->moveCurrent(-1);  // zebra first now
        QVERIFY2(first->text().contains(QStringLiteral("zebra")), qPrintable(first->text()));
    }

    void tokenPlaceholderIsReadable() {
        ControlApiSettingsDialog dialog;
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        for (QLineEdit* edit : dialog.findChildren<QLineEdit*>()) {
            if (edit->placeholderText().isEmpty() || !edit->isVisible()) continue;
            const int needed = edit->fontMetrics().horizontalAdvance(edit->placeholderText());
            const QRect inside = edit->contentsRect().marginsRemoved(edit->textMargins());
            QVERIFY2(needed <= inside.width() - 4, qPrintable(QStringLiteral("\"%1\" needs %2 px, has %3")
                                                                  .arg(edit->placeholderText()).arg(needed).arg(inside.width())));
        }
        screenshot(&dialog, "control-api-dialog");
    }

    void lastUnloadLineGoesWithTheNextLoad() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 1);
        MainWindow window;
        QVERIFY(window.openFolder(images.path()));
        auto* model_ui = window.findChild<ModelUi*>();
        const QString tiny = QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224");
        QVERIFY(loadModel(model_ui, tiny, engine::PartSet::ClickToSegment));
        QSignalSpy unloaded(model_ui->worker(), &service::ModelWorker::unloaded);
        QTest::mouseClick(model_ui->panel()->findChild<QPushButton*>(QStringLiteral("unloadButton")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(unloaded.count() > 0, 10000);  // count first: the unload may beat a wait()
        auto* last_unload = model_ui->panel()->findChild<QLabel*>(QStringLiteral("lastUnload"));
        QTRY_VERIFY(last_unload->text().contains(QStringLiteral("freed")));
        QVERIFY(loadModel(model_ui, tiny, engine::PartSet::ClickToSegment));
        QVERIFY2(!last_unload->isVisible() || last_unload->text().isEmpty(), qPrintable(last_unload->text()));
    }

    // Click, detection (text prompts) and both; a folder without tokenizer files
    // cannot detect, and the panel says so before Load.
    void partsChoiceTellsTheTruthBeforeLoad() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 1);
        MainWindow window;
        window.show();
        QVERIFY(window.openFolder(images.path()));
        auto* model_ui = window.findChild<ModelUi*>();
        ModelPanel* panel = model_ui->panel();
        auto* parts = panel->findChild<QComboBox*>(QStringLiteral("parts"));
        auto* load = panel->findChild<QPushButton*>(QStringLiteral("loadButton"));
        QVERIFY(parts && load);
        for (engine::PartSet set : {engine::PartSet::ClickToSegment, engine::PartSet::DetectOnly, engine::PartSet::ClickAndDetect})
            QVERIFY2(parts->findData(int(set)) >= 0, qPrintable(QString::number(int(set))));

        // tiny224 has no tokenizer files: detection is refused before Load, naming them.
        panel->setWeightsFolder(QStringLiteral(SAMLABEL_TEST_DATA "/sam3/tiny224"));
        QTRY_VERIFY_WITH_TIMEOUT(panel->verdictText().contains("Fits"), 10000);
        for (engine::PartSet set : {engine::PartSet::DetectOnly, engine::PartSet::ClickAndDetect}) {
            parts->setCurrentIndex(parts->findData(int(set)));
            QTRY_VERIFY_WITH_TIMEOUT(panel->verdictText().contains(QStringLiteral("tokenizer.json")), 10000);
            QVERIFY2(!panel->verdictText().contains(QStringLiteral("Fits")), qPrintable(panel->verdictText()));
            QVERIFY(!load->isEnabled());
        }
        if (auto* scroll = panel->findChild<QScrollArea*>()) scroll->ensureWidgetVisible(load);
        screenshot(&window, "model-panel-no-tokenizer");
        parts->setCurrentIndex(parts->findData(int(engine::PartSet::ClickToSegment)));
        QTRY_VERIFY_WITH_TIMEOUT(panel->verdictText().contains("Fits") && load->isEnabled(), 10000);

        // det224 has them: "Fits" is for these parts, and true: the load succeeds.
        // Load never stays on for options that were not checked yet.
        parts->setCurrentIndex(parts->findData(int(engine::PartSet::ClickAndDetect)));
        QVERIFY(!load->isEnabled());
        panel->setWeightsFolder(QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224"));
        QVERIFY(!load->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(load->isEnabled(), 10000);
        QVERIFY2(panel->verdictText().contains(QStringLiteral("Fits")) && panel->verdictText().contains(QStringLiteral("click + detect")),
                 qPrintable(panel->verdictText()));
        QVERIFY(loadModel(model_ui, QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224"), engine::PartSet::ClickAndDetect));
        QCOMPARE(model_ui->worker()->session()->model_info()->request.parts, engine::PartSet::ClickAndDetect);
        screenshot(&window, "model-panel-detect-loaded");
    }

    // Icons from the bundled set on every tool button and the window; the licence beside the icons.
    void toolbarAndWindowHaveIcons() {
        MainWindow window;
        window.show();
        auto* tools = window.findChild<QToolBar*>(QStringLiteral("tools_toolbar"));
        QVERIFY(tools);
        int with_icon = 0;
        for (QAction* a : tools->actions()) {
            if (a->isSeparator() || a->text().isEmpty() || qobject_cast<QWidgetAction*>(a)) continue;
            QVERIFY2(!a->icon().isNull() && !a->icon().pixmap(22, 22).isNull(), qPrintable(a->text()));
            ++with_icon;
        }
        QVERIFY(with_icon >= 9);  // 7 tools, SAM, undo, redo
        QVERIFY(!QApplication::windowIcon().isNull() || !window.windowIcon().isNull());
        QVERIFY(!window.windowIcon().pixmap(64, 64).isNull());
        QVERIFY(QFileInfo::exists(QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/icons/breeze/COPYING.LIB")));
        screenshot(&window, "toolbar-icons");
    }
};

QTEST_MAIN(TestSmallThings)
#include "test_small_things.moc"
