// The GUI on a full disk (issue 15): autosave, switching images, quitting and
// exporting when the project's disk fills up (a real full tmpfs as root, a
// RLIMIT_FSIZE write error anywhere: tests/io/full_disk.h). The user is told
// which file failed and why, keeps every edit in memory (quitting asks first),
// the file on disk stays the last good one, and saving resumes by itself once
// there is room again.
#include "ui/dialogs/export_dialog.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/settings/app_settings.h"
#include "ui/tools/prompt_tool.h"
#include "ui/tools/tool.h"
#include "ui/tools/tool_box.h"
#include "ui_test_helpers.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/project_file.h"
#include "core/io/export_options.h"
#include "core/io/utf8_path.h"
#include "tests/io/full_disk.h"
#include "ui/tools/new_instance.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTimer>

using namespace samlabel;
using namespace samlabel::ui;
using samlabel::testing::FullDisk;

namespace {

QByteArray read_file(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

std::size_t instances_on_disk(const QString& project) {
    return annotation::load_project_file(io::path_from_utf8(project.toStdString())).project.instance_count();
}

// Answers the next modal message box with `button` and keeps its text.
struct BoxAnswer {
    QMessageBox::StandardButton button;
    QString text;
    bool seen = false;
    void arm() {
        QTimer::singleShot(10, [this] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return arm();
            seen = true;
            text = box->text();
            box->button(button)->click();
        });
    }
};

void add_kind_rows() {
    QTest::addColumn<int>("kind");
    for (FullDisk::Kind k : FullDisk::kinds_here()) QTest::newRow(FullDisk::name(k)) << int(k);
}

}  // namespace

class TestDiskFullUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void autosaveOnAFullDiskKeepsEveryEdit_data() { add_kind_rows(); }
    void autosaveOnAFullDiskKeepsEveryEdit() {
        QFETCH(int, kind);
        AppSettings::setAutosaveIntervalSeconds(1);
        QTemporaryDir images;
        QCOMPARE(test::copySamples(images.path()), 5);
        FullDisk disk{FullDisk::Kind(kind)};
        QVERIFY2(disk.ok(), disk.error().c_str());  // never a skip: see full_disk.h
        const QString project = QString::fromStdString(io::path_to_utf8(disk.dir() / "project.json"));

        MainWindow window;
        window.resize(1400, 900);
        QVERIFY(window.openFolder(images.path(), project));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        AnnotationDocument* doc = window.document();
        QVERIFY(doc->save());
        const QByteArray before = read_file(project);
        auto* save_state = window.findChild<QLabel*>("save_state");
        QVERIFY(save_state);
        QTRY_COMPARE(save_state->text(), QStringLiteral("Saved"));

        QCOMPARE(QString::fromStdString(disk.fill()), QString());
        window.toolBox()->activate("box");
        test::drag(window.canvas(), {10, 10}, {60, 60});
        QCOMPARE(doc->annotations(0)->instances.size(), std::size_t(1));
        // The autosave timer fails: said in the status bar and the save indicator, with the file and the reason.
        QTRY_VERIFY_WITH_TIMEOUT(save_state->text() == QStringLiteral("NOT SAVED"), 5000);
        const QString reason = QString::fromStdString(disk.reason());
        for (const QString& shown : {save_state->toolTip(), window.statusBar()->currentMessage()}) {
            QVERIFY2(shown.contains(project), qPrintable(shown));
            QVERIFY2(shown.contains(reason), qPrintable(shown));
        }
        QVERIFY(window.statusBar()->currentMessage().startsWith(QStringLiteral("Saving failed: ")));
        QVERIFY(doc->isDirty());
        QCOMPARE(read_file(project), before);  // the last good file, untouched
        QVERIFY(!QFileInfo::exists(project + ".saving.tmp"));

        // Switching images autosaves: fails too, loses nothing; the edit stays undoable.
        doc->setCurrentIndex(1);
        QVERIFY(doc->isDirty());
        QCOMPARE(doc->annotations(0)->instances.size(), std::size_t(1));
        QVERIFY(doc->undoStack()->canUndo());

        // Quitting asks before dropping the edits; Cancel keeps the window and them.
        BoxAnswer answer{QMessageBox::Cancel};
        answer.arm();
        QVERIFY(!window.close());
        QVERIFY(answer.seen);
        QVERIFY2(answer.text.contains(project) && answer.text.contains(reason), qPrintable(answer.text));
        QVERIFY(window.isVisible());
        QCOMPARE(doc->annotations(0)->instances.size(), std::size_t(1));

        // Room again: the next autosave succeeds by itself.
        disk.make_room();
        QTRY_VERIFY_WITH_TIMEOUT(save_state->text() == QStringLiteral("Saved"), 5000);
        QVERIFY(!doc->isDirty());
        QCOMPARE(instances_on_disk(project), std::size_t(1));
        AppSettings::setAutosaveIntervalSeconds(30);
    }

    void exportDialogOnAFullDiskSaysWhatFailed_data() { add_kind_rows(); }
    void exportDialogOnAFullDiskSaysWhatFailed() {
        QFETCH(int, kind);
        QTemporaryDir images;
        QCOMPARE(test::copySamples(images.path()), 5);
        FullDisk disk{FullDisk::Kind(kind)};
        QVERIFY2(disk.ok(), disk.error().c_str());
        AnnotationDocument doc;
        QVERIFY(doc.open(images.path()));
        auto add_class = std::make_unique<annotation::AddClass>("cat", 0xff8800u);
        auto* op = add_class.get();
        QVERIFY(doc.apply(std::move(add_class)) && op->class_id());
        doc.setCurrentClass(*op->class_id());
        doc.setCurrentIndex(0);
        QVERIFY(addPolygonInstance(doc, {annotation::PolygonWithHoles{{{10, 10}, {50, 10}, {50, 50}, {10, 50}}, {}}}));
        QVERIFY(doc.save());

        const QString out = QString::fromStdString(io::path_to_utf8(disk.dir() / "dataset"));
        QString text;
        const auto run_export = [&](bool expect_ok) {  // void: QVERIFY returns from it
            ExportDialog dialog(&doc);
            dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(int(io::ExportFormat::YoloSegment)));
            dialog.outputEdit()->setText(out);
            QSignalSpy finished(&dialog, &ExportDialog::finished);
            QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
            QVERIFY(finished.count() == 1 || finished.wait(30000));
            QCOMPARE(finished.front().front().toBool(), expect_ok);
            text = dialog.reportText();
        };
        run_export(true);
        QVERIFY(!QTest::currentTestFailed());
        const QByteArray labels_before = read_file(out + "/data.yaml");
        QVERIFY(!labels_before.isEmpty());

        QCOMPARE(QString::fromStdString(disk.fill()), QString());
        run_export(false);
        disk.make_room();
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY2(text.startsWith(QStringLiteral("The export failed: ")), qPrintable(text));
        QVERIFY2(text.contains(out + "/"), qPrintable(text));  // the file that could not be written
        QVERIFY2(text.contains(QString::fromStdString(disk.reason())), qPrintable(text));
        QVERIFY2(text.contains(out + " keeps what it held before"), qPrintable(text));
        QCOMPARE(read_file(out + "/data.yaml"), labels_before);
        QVERIFY(QFileInfo::exists(out + "/report.json"));

        run_export(true);  // room again
        QVERIFY(!QTest::currentTestFailed());
    }
};

QTEST_MAIN(TestDiskFullUi)
#include "test_disk_full_ui.moc"
