// File > Export dataset: the dialog exports the in-memory project off the UI
// thread with progress, shows the report's counts, remembers its options,
// hands the folder to "Unload & Train", and Cancel stops a running export.
// On a temp copy of the bundled samples with three hand-drawn instances.
#include "ui/dialogs/export_dialog.h"
#include "ui/dialogs/unload_and_train_dialog.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/tools/new_instance.h"
#include "ui/tools/tool.h"
#include "ui_test_helpers.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/project_file.h"
#include "core/io/dataset_split.h"
#include "core/io/export_options.h"
#include "core/io/image_reader.h"
#include "core/io/yolo_data_yaml.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSemaphore>
#include <QSignalSpy>
#include <QThreadPool>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

annotation::PolygonWithHoles square(double x, double y, double side) {
    return annotation::PolygonWithHoles{{{x, y}, {x + side, y}, {x + side, y + side}, {x, y + side}}, {}};
}

// Opens the samples and draws: image 0 one "cat", image 1 two "cat"s.
bool annotate(AnnotationDocument& doc, const QString& folder) {
    if (!doc.open(folder)) return false;
    auto add_class = std::make_unique<annotation::AddClass>("cat", 0xff8800u);
    auto* op = add_class.get();
    if (!doc.apply(std::move(add_class)) || !op->class_id()) return false;
    doc.setCurrentClass(*op->class_id());
    doc.setCurrentIndex(0);
    if (!addPolygonInstance(doc, {square(10, 10, 40)})) return false;
    doc.setCurrentIndex(1);
    if (!addPolygonInstance(doc, {square(20, 20, 30)})) return false;
    if (!addPolygonInstance(doc, {square(100, 80, 50)})) return false;
    return true;
}

// Label files and label lines (one per instance) under <dir>/labels.
std::pair<int, int> count_labels(const QString& dir) {
    int files = 0, lines = 0;
    QDirIterator it(dir + "/labels", {"*.txt"}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        if (!f.open(QIODevice::ReadOnly)) continue;
        ++files;
        for (const QByteArray& line : f.readAll().split('\n'))
            if (!line.trimmed().isEmpty()) ++lines;
    }
    return {files, lines};
}

// Answers the next message box that opens (modal, from inside the dialog) with
// `button`, and keeps its text.
struct BoxAnswer {
    QMessageBox::StandardButton button;
    QString text;
    bool seen = false;
    void arm() {
        QTimer::singleShot(0, [this] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return arm();  // not open yet
            seen = true;
            text = box->text() + "\n" + box->informativeText();
            box->button(button)->click();
        });
    }
};

bool export_and_wait(ExportDialog& dialog) {
    QSignalSpy finished(&dialog, &ExportDialog::finished);
    if (!dialog.startExport()) return false;
    return finished.wait(30000) && finished.front().front().toBool();
}

QByteArray read_file(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestExportDialog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void exportsYoloWithReportAndRemembersOptions() {
        QTemporaryDir images, out_root;
        const int n_images = test::copySamples(images.path());
        QVERIFY(n_images >= 2);
        AnnotationDocument doc;
        QVERIFY(annotate(doc, images.path()));
        QVERIFY(doc.isDirty());

        ExportDialog dialog(&doc);
        const QString out = out_root.path() + "/yolo";
        dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(int(io::ExportFormat::YoloSegment)));
        dialog.trainSpin()->setValue(0.5);
        dialog.valSpin()->setValue(0.5);
        dialog.toleranceSpin()->setValue(1.5);
        dialog.outputEdit()->setText(out);
        QSignalSpy finished(&dialog, &ExportDialog::finished);
        QSignalSpy progressed(&dialog, &ExportDialog::progressed);
        QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
        QVERIFY(dialog.isRunning() || finished.count() == 1);
        QVERIFY(finished.count() == 1 || finished.wait(30000));
        QCOMPARE(finished.front().front().toBool(), true);
        QVERIFY(!dialog.isRunning());
        QVERIFY(!progressed.isEmpty());  // progress arrived on the UI thread
        QCOMPARE(dialog.progressBar()->value(), dialog.progressBar()->maximum());
        QVERIFY(!doc.isDirty());  // saved before exporting

        // The dataset is there: data.yaml naming the class, one label line per instance drawn.
        QVERIFY(QFileInfo::exists(out + "/data.yaml"));
        QFile yaml(out + "/data.yaml");
        QVERIFY(yaml.open(QIODevice::ReadOnly));
        QVERIFY(yaml.readAll().contains("cat"));
        const auto [label_files, label_lines] = count_labels(out);
        QCOMPARE(label_lines, 3);
        QVERIFY(label_files >= 2);
        QVERIFY(QFileInfo::exists(out + "/report.txt"));

        // The report box shows the counts.
        const QString text = dialog.reportText();
        QVERIFY2(text.contains("Instances written: 3 of 3"), qPrintable(text));
        QVERIFY2(text.contains("Skipped: 0"), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Images: %1").arg(dialog.report().images)), qPrintable(text));
        // The two annotated images; the never-annotated ones are left out and counted.
        QCOMPARE(int(dialog.report().images), 2);
        QCOMPARE(int(dialog.report().images_unannotated), n_images - 2);
        QVERIFY2(text.contains(QStringLiteral("%1 never annotated").arg(n_images - 2)), qPrintable(text));
        QVERIFY(!dialog.report().cancelled);

        // "Unload & Train" proposes the folder just written; the dialog's options come back.
        QCOMPARE(QDir::cleanPath(UnloadAndTrainDialog::lastExportDir()), QDir::cleanPath(out));
        ExportDialog again(&doc);
        QCOMPARE(again.formatCombo()->currentData().toInt(), int(io::ExportFormat::YoloSegment));
        QCOMPARE(again.toleranceSpin()->value(), 1.5);
        QCOMPARE(again.trainSpin()->value(), 0.5);
        QCOMPARE(again.outputEdit()->text(), out);
    }

    void skippedInstancesAreListed() {
        QTemporaryDir images, out_root;
        QVERIFY(test::copySamples(images.path()) >= 2);
        AnnotationDocument doc;
        QVERIFY(annotate(doc, images.path()));
        // An instance drawn with no class picked: exported nowhere, but reported.
        doc.setCurrentClass(annotation::kNoClass);
        doc.setCurrentIndex(2);
        QVERIFY(addPolygonInstance(doc, {square(5, 5, 20)}));
        ExportDialog dialog(&doc);
        dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(int(io::ExportFormat::Coco)));
        auto* split = dialog.findChild<QCheckBox*>("split");
        QVERIFY(split);
        split->setChecked(false);  // one set: annotations/instances.json
        dialog.outputEdit()->setText(out_root.path() + "/coco");
        QSignalSpy finished(&dialog, &ExportDialog::finished);
        QVERIFY(dialog.startExport());
        QVERIFY(finished.wait(30000));
        // The COCO file holds the three "cat" squares, not the one without a class.
        const QJsonObject coco = QJsonDocument::fromJson(read_file(out_root.path() + "/coco/annotations/instances.json")).object();
        const QJsonArray annotations = coco.value("annotations").toArray();
        QCOMPARE(annotations.size(), 3);
        QList<int> cat_ids;
        for (const QJsonValue& c : coco.value("categories").toArray())
            if (c.toObject().value("name").toString() == QStringLiteral("cat")) cat_ids << c.toObject().value("id").toInt();
        QCOMPARE(cat_ids.size(), 1);
        for (const QJsonValue& a : annotations) QCOMPARE(a.toObject().value("category_id").toInt(), cat_ids.front());
        const QString text = dialog.reportText();
        QVERIFY2(text.contains("Instances written: 3 of 4"), qPrintable(text));
        QVERIFY2(text.contains("Skipped: 1") && text.contains("no class: 1"), qPrintable(text));
    }

    void unusableOptionsAreRefusedWithAReason() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 2);
        AnnotationDocument doc;
        QVERIFY(doc.open(images.path()));
        ExportDialog dialog(&doc);
        dialog.outputEdit()->setText(images.path());
        QVERIFY(!dialog.startExport());
        QVERIFY(dialog.reportText().contains("image folder"));
        dialog.outputEdit()->clear();
        QVERIFY(!dialog.startExport());
        QVERIFY(dialog.reportText().contains("output folder"));
    }

    void cancelStopsARunningExport() {
        QTemporaryDir images, out_root;
        QVERIFY(test::copySamples(images.path()) >= 3);
        AnnotationDocument doc;
        QVERIFY(annotate(doc, images.path()));
        ExportDialog dialog(&doc);
        dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(int(io::ExportFormat::YoloDetect)));
        dialog.outputEdit()->setText(out_root.path() + "/cancelled");

        // Hold the thread pool so the export is queued when Cancel is pressed:
        // it then stops before its first image, whatever the machine's speed.
        QThreadPool* pool = QThreadPool::globalInstance();
        const int threads = pool->maxThreadCount();
        pool->setMaxThreadCount(1);
        QSemaphore release;
        QFuture<void> blocker = QtConcurrent::run([&release] { release.acquire(); });
        QSignalSpy finished(&dialog, &ExportDialog::finished);
        QVERIFY(dialog.startExport());
        QVERIFY(dialog.isRunning());
        QVERIFY(dialog.cancelButton()->isEnabled());
        QVERIFY(!dialog.exportButton()->isEnabled());
        dialog.reject();  // Close while running = cancel; the dialog stays
        QVERIFY(dialog.isRunning());
        QVERIFY(!dialog.cancelButton()->isEnabled());
        release.release();
        QVERIFY(finished.wait(30000));
        blocker.waitForFinished();
        pool->setMaxThreadCount(threads);
        QVERIFY(dialog.report().cancelled);
        QVERIFY2(dialog.reportText().contains("CANCELLED"), qPrintable(dialog.reportText()));
        const auto [files, lines] = count_labels(out_root.path() + "/cancelled");
        // Cancelled before it began: not one image exported, not one label written.
        QCOMPARE(int(dialog.report().images), 0);
        QCOMPARE(files, 0);
        QCOMPARE(lines, 0);
        QVERIFY(dialog.exportButton()->isEnabled());
    }

    // A folder with a few images annotated: the dialog says before the export
    // how many never-annotated images stay out, the export leaves them out,
    // and the checkbox puts them in as background images.
    void neverAnnotatedImagesStayOutUnlessTicked() {
        QTemporaryDir images, out_root;
        const int n_images = test::copySamples(images.path());
        AnnotationDocument doc;
        QVERIFY(annotate(doc, images.path()));  // images 0 and 1
        ExportDialog dialog(&doc);
        auto* include = dialog.findChild<QCheckBox*>("include_unannotated");
        auto* preview = dialog.findChild<QLabel*>("export_preview");
        QVERIFY(include && preview);
        QVERIFY(!include->isChecked());
        QVERIFY2(preview->text().contains(QStringLiteral("%1 never annotated").arg(n_images - 2)), qPrintable(preview->text()));
        dialog.outputEdit()->setText(out_root.path() + "/yolo");
        QVERIFY(export_and_wait(dialog));
        QCOMPARE(int(dialog.report().images), 2);
        include->setChecked(true);
        QVERIFY2(preview->text().contains(QString::number(n_images)), qPrintable(preview->text()));
        QVERIFY(export_and_wait(dialog));  // the same project's folder: no question
        QCOMPARE(int(dialog.report().images), n_images);
        QVERIFY(dialog.report().unannotated_included);
    }

    // The samples the default split hashes into train, annotated: the export
    // still gives val an image, and data.yaml names no empty folder.
    void defaultSplitGivesValAnImage() {
        QTemporaryDir images, out_root;
        QVERIFY(test::copySamples(images.path()) >= 2);
        AnnotationDocument doc;
        QVERIFY(doc.open(images.path()));
        int annotated = 0;
        for (int i = 0; i < doc.imageCount(); ++i) {
            if (io::assign_dataset_split(doc.relativePath(i), io::SplitFractions{}, 0) != io::DatasetSplit::Train) continue;
            doc.setCurrentIndex(i);
            QVERIFY(addPolygonInstance(doc, {square(10, 10, 40)}));
            ++annotated;
        }
        QVERIFY(annotated >= 2);
        ExportDialog dialog(&doc);
        dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(int(io::ExportFormat::YoloDetect)));
        dialog.trainSpin()->setValue(0.8);
        dialog.valSpin()->setValue(0.2);
        dialog.testSpin()->setValue(0.0);
        dialog.seedSpin()->setValue(0);
        const QString out = out_root.path() + "/yolo";
        dialog.outputEdit()->setText(out);
        QVERIFY(export_and_wait(dialog));
        QCOMPARE(int(dialog.report().images_per_split.at("val")), 1);
        const io::YoloDataYaml yaml = io::parse_data_yaml(read_file(out + "/data.yaml").toStdString(), "data.yaml");
        for (const auto& [split, folder] : yaml.splits)
            QVERIFY2(!QDir(out + "/" + QString::fromStdString(folder)).entryList(QDir::Files).isEmpty(), folder.c_str());
        QVERIFY2(!dialog.reportText().contains("--"), qPrintable(dialog.reportText()));  // no command-line advice in the GUI
    }

    // An annotated image that the canvas shows as unreadable never goes in.
    void unreadableImageIsNotExported() {
        QTemporaryDir images, out_root;
        QVERIFY(test::copySamples(images.path()) >= 2);
        const QByteArray jpeg = read_file(images.path() + "/astronaut.jpg");
        QFile broken(images.path() + "/broken.jpg");
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write(jpeg.left(jpeg.size() / 2));  // truncated: the header still reads
        broken.close();
        AnnotationDocument doc;
        QVERIFY(annotate(doc, images.path()));
        doc.setCurrentIndex(doc.indexOf("broken.jpg"));
        QVERIFY(addPolygonInstance(doc, {square(10, 10, 40)}));
        ExportDialog dialog(&doc);
        const QString out = out_root.path() + "/yolo";
        dialog.outputEdit()->setText(out);
        QVERIFY(export_and_wait(dialog));
        QCOMPARE(int(dialog.report().images_unreadable), 1);
        QDirIterator it(out + "/images", {"broken*"}, QDir::Files, QDirIterator::Subdirectories);
        QVERIFY2(!it.hasNext(), "the truncated JPEG was copied into the dataset");
        QVERIFY2(dialog.reportText().contains("broken.jpg") && dialog.reportText().contains("truncated JPEG"),
                 qPrintable(dialog.reportText()));
    }

    // The export folder belongs to a project: another project is offered its
    // own, and exporting it into the first one's folder asks first.
    void exportFolderIsPerProjectAndNeverReplacedSilently() {
        QTemporaryDir images_a, images_b, out_root;
        QVERIFY(test::copySamples(images_a.path()) >= 2 && test::copySamples(images_b.path()) >= 2);
        const QString shared = out_root.path() + "/dataset";
        {
            AnnotationDocument a;
            QVERIFY(annotate(a, images_a.path()));
            ExportDialog dialog(&a);
            dialog.outputEdit()->setText(shared);
            QVERIFY(export_and_wait(dialog));
        }
        const QByteArray a_report = read_file(shared + "/report.json");
        AnnotationDocument b;
        QVERIFY(annotate(b, images_b.path()));
        {
            ExportDialog dialog(&b);
            QVERIFY2(QDir::cleanPath(dialog.outputEdit()->text()) != QDir::cleanPath(shared), qPrintable(dialog.outputEdit()->text()));
            QCOMPARE(dialog.outputEdit()->text(), ExportDialog::defaultOutputDir(b.imageFolder(), "export"));
            dialog.outputEdit()->setText(shared);
            BoxAnswer no{QMessageBox::No};
            no.arm();
            QVERIFY(!dialog.startExport());
            QVERIFY(no.seen);
            QVERIFY2(no.text.contains(QFileInfo(images_a.path()).fileName()), qPrintable(no.text));  // names the other project
            QCOMPARE(read_file(shared + "/report.json"), a_report);  // untouched
            BoxAnswer yes{QMessageBox::Yes};
            yes.arm();
            QVERIFY(export_and_wait(dialog));
            QVERIFY(yes.seen);
            QVERIFY(read_file(shared + "/report.json").contains(QFileInfo(images_b.path()).fileName().toUtf8()));
        }
        // Each project is offered the folder it exported to last.
        AnnotationDocument a;
        QVERIFY(a.open(images_a.path()));
        QCOMPARE(QDir::cleanPath(ExportDialog(&a).outputEdit()->text()), QDir::cleanPath(shared));
    }

    // A project imported from a YOLO dataset: the dialog says the images keep
    // their dataset's split, offers to re-split, and the export keeps it.
    void importedImagesKeepTheirSplit() {
        QTemporaryDir images, out_root;
        QVERIFY(test::copySamples(images.path()) >= 2);
        const QStringList names = test::sampleNames();
        annotation::Project p;
        const annotation::ClassId cat = p.add_class("cat", 0xff8800u);
        for (int i = 0; i < 2; ++i) {
            annotation::ImageAnnotations& img = p.ensure_image(names[i].toStdString());
            img.status = annotation::ImageStatus::Done;
            img.placement = annotation::DatasetPlacement{"val", "kept/" + names[i].toStdString()};  // both were in val
            annotation::Instance inst;
            inst.id = p.allocate_instance_id();
            inst.class_id = cat;
            inst.polygons = {square(10, 10, 40)};
            img.instances.push_back(inst);
        }
        annotation::save_project_file(io::path_from_utf8((images.path() + "/samlabel-project.json").toStdString()), p);
        AnnotationDocument doc;
        QVERIFY(doc.open(images.path()));
        ExportDialog dialog(&doc);
        auto* resplit = dialog.findChild<QCheckBox*>("resplit");
        auto* preview = dialog.findChild<QLabel*>("export_preview");
        QVERIFY(resplit && preview);
        QVERIFY(resplit->isVisibleTo(&dialog) && !resplit->isChecked());
        QVERIFY2(preview->text().contains("keep the split"), qPrintable(preview->text()));
        const QString out = out_root.path() + "/yolo";
        dialog.outputEdit()->setText(out);
        QVERIFY(export_and_wait(dialog));
        for (int i = 0; i < 2; ++i) QVERIFY(QFileInfo::exists(out + "/images/val/kept/" + names[i]));
    }

    void ctrlEOpensTheDialogFromTheMainWindow() {
        QTemporaryDir images;
        QVERIFY(test::copySamples(images.path()) >= 2);
        MainWindow window;
        window.show();
        QVERIFY(window.openFolder(images.path()));
        bool seen = false;
        QTimer::singleShot(0, [&] {
            auto* dialog = qobject_cast<ExportDialog*>(QApplication::activeModalWidget());
            seen = dialog != nullptr;
            if (dialog) dialog->reject();
        });
        auto* action = window.findChild<QAction*>("export_dataset");
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_E));
        action->trigger();
        QVERIFY(seen);
    }
};

QTEST_MAIN(TestExportDialog)
#include "test_export_dialog.moc"
