// A QTest-driven annotation session on a temp copy of the bundled samples:
// draw a polygon (mouse clicks), a box (drag) and a GrabCut instance (waits
// for the worker), undo and redo them, switch images with D/A, undo across an
// image switch, set a status, add and reorder classes, quit, and reopen a new
// window on the same folder with everything restored.
#include "ui_test_helpers.h"

#include "core/annotation/mask_geometry.h"
#include "core/annotation/project_file.h"
#include "ui/docks/classes_dock.h"
#include "ui/docks/image_list_dock.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/tools/grabcut_tool.h"
#include "ui/tools/polygon_tool.h"
#include "ui/tools/tool_box.h"

#include <QFileInfo>
#include <QUndoStack>

using namespace samlabel;
using namespace samlabel::ui;
using namespace samlabel::ui::test;

class TestUiSession : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        isolateSettings();
        QVERIFY(dir_.isValid());
        QCOMPARE(copySamples(dir_.path()), 5);
    }
    void fullSessionIsRestoredAfterRestart();

private:
    QTemporaryDir dir_;
};

namespace {

std::size_t instanceCount(const AnnotationDocument* doc, int index) { return doc->annotations(index)->instances.size(); }

void keyOn(QWidget* w, Qt::Key key, Qt::KeyboardModifiers modifiers = Qt::NoModifier) { QTest::keyClick(w, key, modifiers); }

}  // namespace

void TestUiSession::fullSessionIsRestoredAfterRestart() {
    auto* window = new MainWindow;
    window->resize(1400, 900);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window));
    window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window));
    QVERIFY(window->openFolder(dir_.path()));
    QVERIFY2(window->lastOpenMessage().isEmpty(), qPrintable(window->lastOpenMessage()));

    AnnotationDocument* doc = window->document();
    CanvasWidget* canvas = window->canvas();
    QCOMPARE(doc->imageCount(), 5);
    QCOMPARE(doc->currentIndex(), 0);
    QCOMPARE(QString::fromStdString(doc->currentPath()), QString("astronaut.jpg"));
    QVERIFY(canvas->hasImage());
    QCOMPARE(canvas->imageSize(), QSize(512, 512));
    const annotation::ClassId object_class = doc->currentClass();
    QVERIFY(object_class != annotation::kNoClass);

    // ---- polygon: click 4 vertices, close by clicking the first one --------
    keyOn(canvas, Qt::Key_P);
    QCOMPARE(window->toolBox()->activeTool()->id(), QString("polygon"));
    const std::vector<QPointF> vertices = {{100, 100}, {220, 110}, {210, 230}, {90, 220}};
    for (const QPointF& v : vertices) click(canvas, v.x(), v.y());
    QCOMPARE(instanceCount(doc, 0), std::size_t(0));  // still open
    click(canvas, 100.5, 100.5);                       // on the first vertex: closes
    QCOMPARE(instanceCount(doc, 0), std::size_t(1));
    {
        const auto& polygon = doc->annotations(0)->instances[0];
        QCOMPARE(polygon.class_id, object_class);
        QCOMPARE(polygon.source, annotation::InstanceSource::Manual);
        QCOMPARE(polygon.polygons.size(), std::size_t(1));
        QCOMPARE(polygon.polygons[0].outer.size(), vertices.size());
        for (std::size_t i = 0; i < vertices.size(); ++i) {
            QVERIFY(std::abs(polygon.polygons[0].outer[i].x - vertices[i].x()) < 1e-6);
            QVERIFY(std::abs(polygon.polygons[0].outer[i].y - vertices[i].y()) < 1e-6);
        }
        QCOMPARE(doc->status(0), annotation::ImageStatus::InProgress);  // first instance starts the image
    }

    // ---- box: drag ------------------------------------------------------------
    keyOn(canvas, Qt::Key_W);
    QCOMPARE(window->toolBox()->activeTool()->id(), QString("box"));
    drag(canvas, {300.2, 299.8}, {419.6, 380.4});
    QCOMPARE(instanceCount(doc, 0), std::size_t(2));
    {
        const auto& box = doc->annotations(0)->instances[1];
        const std::vector<annotation::Point> expected = {{300, 300}, {420, 300}, {420, 380}, {300, 380}};
        QCOMPARE(box.polygons.at(0).outer.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(box.polygons[0].outer[i].x, expected[i].x);
            QCOMPARE(box.polygons[0].outer[i].y, expected[i].y);
        }
        QCOMPARE(annotation::instance_area(box), 120.0 * 80.0);
    }

    // ---- GrabCut: box seed, runs on a worker, Enter accepts ---------------------
    keyOn(canvas, Qt::Key_G);
    GrabCutTool* grabcut = window->grabCutTool();
    QCOMPARE(window->toolBox()->activeTool(), static_cast<Tool*>(grabcut));
    drag(canvas, {150, 20}, {370, 330});
    QVERIFY2(grabcut->isRunning() || grabcut->hasPreview(), "GrabCut did not start");
    const bool returned_while_running = grabcut->isRunning();  // the UI thread was not blocked
    QTRY_VERIFY_WITH_TIMEOUT(!grabcut->isRunning() && grabcut->hasPreview(), 30000);
    qInfo("GrabCut returned to the event loop while running: %s; run took %.0f ms", returned_while_running ? "yes" : "no",
          grabcut->lastDurationMs());
    keyOn(canvas, Qt::Key_Return);
    QCOMPARE(instanceCount(doc, 0), std::size_t(3));
    {
        const auto& cut = doc->annotations(0)->instances[2];
        QCOMPARE(cut.source, annotation::InstanceSource::GrabCut);
        QVERIFY(cut.mask.has_value());
        QVERIFY(!cut.polygons.empty());
        const double area = annotation::instance_area(cut);
        QVERIFY2(area > 2000 && area < 220.0 * 310.0, qPrintable(QString("grabcut area %1").arg(area)));
        // Everything GrabCut kept lies inside the seed box.
        const auto box = annotation::instance_bbox(cut);
        QVERIFY(box && box->x >= 150 && box->y >= 20 && box->x + box->width <= 370 && box->y + box->height <= 330);
    }
    const std::string three_instances = annotation::serialize(doc->project());

    // ---- undo / redo with the keyboard -----------------------------------------
    for (int i = 0; i < 3; ++i) keyOn(canvas, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(instanceCount(doc, 0), std::size_t(0));
    QCOMPARE(doc->status(0), annotation::ImageStatus::New);
    for (int i = 0; i < 3; ++i) keyOn(canvas, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(instanceCount(doc, 0), std::size_t(3));
    QCOMPARE(annotation::serialize(doc->project()), three_instances);  // bit-exact redo

    // ---- switch images: D / A; undo across the switch -----------------------
    const int saves_before = doc->saveCount();
    keyOn(canvas, Qt::Key_D);
    QCOMPARE(doc->currentIndex(), 1);
    QVERIFY2(doc->saveCount() > saves_before, "no autosave on image switch");
    QVERIFY(QFileInfo::exists(dir_.filePath("samlabel-project.json")));
    QCOMPARE(canvas->imageSize(), QSize(512, 512));  // camera.jpg (grayscale)
    keyOn(canvas, Qt::Key_P);
    click(canvas, 50, 50);
    click(canvas, 150, 60);
    click(canvas, 100, 160);
    keyOn(canvas, Qt::Key_Return);
    QCOMPARE(instanceCount(doc, 1), std::size_t(1));
    keyOn(canvas, Qt::Key_A);
    QCOMPARE(doc->currentIndex(), 0);
    QCOMPARE(instanceCount(doc, 0), std::size_t(3));
    keyOn(canvas, Qt::Key_Z, Qt::ControlModifier);  // undoes the camera polygon: shows that image
    QCOMPARE(doc->currentIndex(), 1);
    QCOMPARE(instanceCount(doc, 1), std::size_t(0));
    keyOn(canvas, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(instanceCount(doc, 1), std::size_t(1));

    // ---- status, classes ---------------------------------------------------------
    keyOn(canvas, Qt::Key_A);
    QCOMPARE(doc->currentIndex(), 0);
    window->imageListDock()->setCurrentStatus(int(annotation::ImageStatus::Done));
    QCOMPARE(doc->status(0), annotation::ImageStatus::Done);
    const annotation::ClassId cat = window->classesDock()->addClass("cat");
    QVERIFY(cat != annotation::kNoClass && cat != object_class);
    keyOn(canvas, Qt::Key_Escape);  // leave the in-place rename editor if open
    canvas->setFocus();
    keyOn(canvas, Qt::Key_1);
    QCOMPARE(doc->currentClass(), object_class);
    keyOn(canvas, Qt::Key_2);
    QCOMPARE(doc->currentClass(), cat);
    window->classesDock()->moveCurrent(-1);  // cat first: ids stay, nothing relabels
    QCOMPARE(doc->project().classes().front().id, cat);
    QCOMPARE(doc->annotations(0)->instances[0].class_id, object_class);
    keyOn(canvas, Qt::Key_D);
    keyOn(canvas, Qt::Key_W);
    drag(canvas, {200, 200}, {300, 260});
    QCOMPARE(instanceCount(doc, 1), std::size_t(2));
    QCOMPARE(doc->annotations(1)->instances[1].class_id, cat);

    const std::string before_quit = annotation::serialize(doc->project());
    QVERIFY(window->close());
    delete window;

    // ---- reopen: everything is back --------------------------------------------
    auto* reopened = new MainWindow;
    reopened->show();
    QVERIFY(QTest::qWaitForWindowExposed(reopened));
    QVERIFY(reopened->openFolder(dir_.path()));
    QVERIFY2(reopened->lastOpenMessage().isEmpty(), qPrintable(reopened->lastOpenMessage()));
    const AnnotationDocument* doc2 = reopened->document();
    QCOMPARE(annotation::serialize(doc2->project()), before_quit);
    QCOMPARE(doc2->imageCount(), 5);
    QCOMPARE(instanceCount(doc2, 0), std::size_t(3));
    QCOMPARE(instanceCount(doc2, 1), std::size_t(2));
    QCOMPARE(doc2->status(0), annotation::ImageStatus::Done);
    QCOMPARE(doc2->status(1), annotation::ImageStatus::InProgress);
    QCOMPARE(doc2->status(2), annotation::ImageStatus::New);
    QCOMPARE(doc2->project().classes().size(), std::size_t(2));
    QCOMPARE(QString::fromStdString(doc2->project().classes()[0].name), QString("cat"));
    QCOMPARE(doc2->project().classes()[0].id, cat);
    QCOMPARE(doc2->annotations(0)->instances[2].source, annotation::InstanceSource::GrabCut);
    QVERIFY(reopened->canvas()->hasImage());
    QCOMPARE(int(reopened->canvas()->overlay().outlines().size()), 3);  // drawn on the canvas
    reopened->close();
    delete reopened;
}

QTEST_MAIN(TestUiSession)
#include "test_ui_session.moc"
