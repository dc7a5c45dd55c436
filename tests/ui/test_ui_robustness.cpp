// GUI robustness and parts: a corrupt project file is reported and backed up;
// corrupt and over-limit images show an error state (no crash); thumbnails
// load off the UI thread; keyboard shortcuts; vertex drags are one undo step;
// brush/eraser. (GrabCut's segmenter: tests/annotation/test_grabcut_segmenter.)
#include "ui_test_helpers.h"

#include "core/annotation/mask_geometry.h"
#include "ui/dialogs/about_dialog.h"
#include "ui/docks/classes_dock.h"
#include "ui/docks/image_list_dock.h"
#include "ui/docks/instances_dock.h"
#include "ui/docks/thumbnail_cache.h"
#include "ui/document/annotation_document.h"
#include "ui/main_window.h"
#include "ui/settings/app_settings.h"
#include "ui/tools/brush_tool.h"
#include "ui/tools/grabcut_tool.h"
#include "ui/tools/polygon_tool.h"
#include "ui/tools/tool_box.h"

#include <QPlainTextEdit>
#include <QCoreApplication>
#include <QFileInfo>
#include <QComboBox>
#include <QDialog>
#include <QTableWidget>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QSignalSpy>
#include <QSlider>
#include <QUndoStack>
#include <QWheelEvent>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <memory>

using namespace samlabel;
using namespace samlabel::ui;
using namespace samlabel::ui::test;

class TestUiRobustness : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateSettings(); }
    void init() { QSettings().clear(); }
    void corruptProjectFileIsReportedAndBackedUp();
    void corruptImageShowsErrorState();
    void overLimitImageIsRefused();
    void thumbnailsLoadOffTheUiThread();
    void keyboardShortcuts();
    void vertexDragIsOneUndoStep();
    void brushAndEraserEditMasks();
    void aboutShowsRuntime();
    void unusualFormatsAndPathsDisplay();
    void autosaveTimerSavesWithoutSwitching();
    void zoomKeepsThePointUnderTheCursor();
    void hoverAndOpacity();
    void exifOrientationIsApplied();
    void projectFileElsewhere();
    void classEditsNeverRelabel();
    void panWithMiddleDragAndSpace();
    void largeImagesDecodeOffTheUiThread();
};

namespace {

struct Session {
    QTemporaryDir dir;
    std::unique_ptr<MainWindow> window;
    bool open() {
        window = std::make_unique<MainWindow>();
        window->resize(1400, 900);
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get())) return false;
        window->activateWindow();
        if (!QTest::qWaitForWindowActive(window.get())) return false;
        return window->openFolder(dir.path());
    }
};

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

}  // namespace

void TestUiRobustness::corruptProjectFileIsReportedAndBackedUp() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    const QByteArray garbage = "{\"format\": \"samlabel-project\", \"version\": 1, \"classes\": [ {\"id\": ";
    writeFile(s.dir.filePath("samlabel-project.json"), garbage);
    QVERIFY(s.open());
    const QString message = s.window->lastOpenMessage();
    QVERIFY2(message.contains("samlabel-project.json"), qPrintable(message));
    auto* box = s.window->findChild<QMessageBox*>("open_report");
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QCOMPARE(box->text(), message);
    // The damaged file is kept aside, byte for byte.
    const QStringList aside = QDir(s.dir.path()).entryList({"samlabel-project.corrupt-*.json"}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QVERIFY(message.contains(aside.front()));
    QFile kept(s.dir.filePath(aside.front()));
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), garbage);
    // A fresh, valid project file replaces it at once; the workspace works on.
    QVERIFY(QFileInfo::exists(s.dir.filePath("samlabel-project.json")));
    QVERIFY(!s.window->document()->isDirty());
    QCOMPARE(s.window->document()->imageCount(), 5);
    QVERIFY(s.window->canvas()->hasImage());
}

void TestUiRobustness::corruptImageShowsErrorState() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QFile source(QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples/astronaut.jpg"));
    QVERIFY(source.open(QIODevice::ReadOnly));
    writeFile(s.dir.filePath("broken.jpg"), source.read(400));  // truncated JPEG
    writeFile(s.dir.filePath("empty.png"), QByteArray());
    writeFile(s.dir.filePath("not an image.png"), "this is text, not a PNG");
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    QCOMPARE(doc->imageCount(), 8);
    for (const char* name : {"broken.jpg", "empty.png", "not an image.png"}) {
        const int index = doc->indexOf(name);
        QVERIFY(index >= 0);
        doc->setCurrentIndex(index);
        QVERIFY(!canvas->hasImage());
        QVERIFY2(canvas->imageError().contains(name), qPrintable(canvas->imageError()));
        canvas->grab();  // paints the error state
        // Tools do nothing without an image.
        s.window->toolBox()->activate("box");
        drag(canvas, {10, 10}, {50, 50});
        QVERIFY(doc->currentAnnotations()->instances.empty());
        // The list marks it too.
        ThumbnailCache* thumbnails = s.window->imageListDock()->thumbnails();
        thumbnails->thumbnail(doc->absolutePath(index));
        QTRY_VERIFY(!thumbnails->isPending(doc->absolutePath(index)));
        QVERIFY(!thumbnails->error(doc->absolutePath(index)).isEmpty());
    }
    // Moving on shows the next good image.
    doc->setCurrentIndex(doc->indexOf("chelsea.jpg"));
    QVERIFY(canvas->hasImage());
    QCOMPARE(canvas->imageSize(), QSize(451, 300));
}

void TestUiRobustness::overLimitImageIsRefused() {
    AppSettings::setPixelLimit(200'000);  // astronaut (512 x 512 = 262,144 px) is above, chelsea (135,300 px) below
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    doc->setCurrentIndex(doc->indexOf("astronaut.jpg"));
    QVERIFY(!canvas->hasImage());
    QVERIFY2(canvas->imageError().contains("astronaut.jpg"), qPrintable(canvas->imageError()));
    qInfo("over-limit message: %s", qPrintable(canvas->imageError()));
    doc->setCurrentIndex(doc->indexOf("chelsea.jpg"));
    QVERIFY(canvas->hasImage());
}

void TestUiRobustness::thumbnailsLoadOffTheUiThread() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    ThumbnailCache* thumbnails = s.window->imageListDock()->thumbnails();
    // The list view already asked for visible rows; a fresh cache shows that
    // a request returns at once and the image arrives later.
    ThumbnailCache fresh;
    QSignalSpy ready(&fresh, &ThumbnailCache::thumbnailReady);
    QVERIFY(fresh.thumbnail(doc->absolutePath(0)).isNull());
    QVERIFY(fresh.isPending(doc->absolutePath(0)));
    QTRY_COMPARE(ready.count(), 1);
    QVERIFY(!fresh.thumbnail(doc->absolutePath(0)).isNull());
    for (int i = 0; i < doc->imageCount(); ++i) thumbnails->thumbnail(doc->absolutePath(i));
    for (int i = 0; i < doc->imageCount(); ++i) {
        const QString path = doc->absolutePath(i);
        QTRY_VERIFY(!thumbnails->isPending(path));
        const QImage thumbnail = thumbnails->thumbnail(path);
        QVERIFY2(!thumbnail.isNull(), qPrintable(path));
        QCOMPARE(std::max(thumbnail.width(), thumbnail.height()), ThumbnailCache::kSidePx);
    }
    QVERIFY(s.window->imageListDock()->countsText().contains("5 images"));
    // Filtering by name.
    s.window->imageListDock()->filterEdit()->setText("c");  // camera, chelsea, coffee, rocket
    QCOMPARE(s.window->imageListDock()->visibleRowCount(), 4);
    s.window->imageListDock()->filterEdit()->setText("che");
    QCOMPARE(s.window->imageListDock()->visibleRowCount(), 1);
}

void TestUiRobustness::keyboardShortcuts() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    ToolBox* tools = s.window->toolBox();
    const QList<QPair<Qt::Key, QString>> tool_keys = {{Qt::Key_V, "select"}, {Qt::Key_P, "polygon"}, {Qt::Key_W, "box"},
                                                      {Qt::Key_B, "brush"},  {Qt::Key_X, "eraser"},  {Qt::Key_G, "grabcut"}};
    for (const auto& [key, id] : tool_keys) {
        QTest::keyClick(canvas, key);
        QCOMPARE(tools->activeTool()->id(), id);
    }
    QTest::keyClick(canvas, Qt::Key_V);
    QTest::keyClick(canvas, Qt::Key_E);
    QCOMPARE(tools->activeTool()->id(), QString("grabcut"));
    QCOMPARE(s.window->grabCutTool()->pointLabel(), PointLabel::Negative);
    QTest::keyClick(canvas, Qt::Key_Q);
    QCOMPARE(s.window->grabCutTool()->pointLabel(), PointLabel::Positive);

    QTest::keyClick(canvas, Qt::Key_D);
    QCOMPARE(doc->currentIndex(), 1);
    QTest::keyClick(canvas, Qt::Key_D);
    QTest::keyClick(canvas, Qt::Key_A);
    QCOMPARE(doc->currentIndex(), 1);

    s.window->classesDock()->addClass("b");
    s.window->classesDock()->addClass("c");
    QTest::keyClick(canvas, Qt::Key_3);
    QCOMPARE(doc->currentClass(), doc->project().classes()[2].id);
    QTest::keyClick(canvas, Qt::Key_1);
    QCOMPARE(doc->currentClass(), doc->project().classes()[0].id);
    QTest::keyClick(canvas, Qt::Key_9);  // no 9th class: unchanged
    QCOMPARE(doc->currentClass(), doc->project().classes()[0].id);

    const int size = BrushTool::sizePx();
    QTest::keyClick(canvas, Qt::Key_BracketRight);
    QVERIFY(BrushTool::sizePx() > size);
    QTest::keyClick(canvas, Qt::Key_BracketLeft);
    QTest::keyClick(canvas, Qt::Key_BracketLeft);
    QVERIFY(BrushTool::sizePx() < size);

    // Esc cancels a polygon being drawn; Backspace removes its last vertex.
    QTest::keyClick(canvas, Qt::Key_P);
    auto* polygon = static_cast<PolygonTool*>(tools->tool("polygon"));
    click(canvas, 10, 10);
    click(canvas, 60, 10);
    QCOMPARE(polygon->vertexCount(), 2);
    QTest::keyClick(canvas, Qt::Key_Backspace);
    QCOMPARE(polygon->vertexCount(), 1);
    QTest::keyClick(canvas, Qt::Key_Escape);
    QCOMPARE(polygon->vertexCount(), 0);
    QVERIFY(doc->currentAnnotations()->instances.empty());

    // Space (tap) accepts like Enter.
    click(canvas, 10, 10);
    click(canvas, 60, 10);
    click(canvas, 30, 50);
    QTest::keyClick(canvas, Qt::Key_Space);
    QCOMPARE(doc->currentAnnotations()->instances.size(), std::size_t(1));
    // Del removes the selected (new) instance.
    QVERIFY(doc->selectedInstance() != 0);
    QTest::keyClick(canvas, Qt::Key_Delete);
    QVERIFY(doc->currentAnnotations()->instances.empty());

    // F1 opens the shortcuts help.
    QTest::keyClick(canvas, Qt::Key_F1);
    QDialog* help = nullptr;
    QTRY_VERIFY((help = s.window->findChild<QDialog*>("shortcuts_dialog")) && help->isVisible());
    help->close();
}

void TestUiRobustness::vertexDragIsOneUndoStep() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    s.window->toolBox()->activate("box");
    drag(canvas, {100, 100}, {200, 180});
    QCOMPARE(doc->currentAnnotations()->instances.size(), std::size_t(1));
    const auto id = doc->currentAnnotations()->instances[0].id;
    s.window->toolBox()->activate("select");
    doc->setSelectedInstance(0);
    click(canvas, 150, 140);  // inside: selects
    QCOMPARE(doc->selectedInstance(), id);
    const int steps_before = doc->undoStack()->count();
    drag(canvas, {100, 100}, {80, 70}, 12);  // the top-left vertex, 12 mouse moves
    const auto& moved = doc->currentAnnotations()->instances[0].polygons[0].outer;
    QVERIFY(std::abs(moved[0].x - 80) < 1e-6 && std::abs(moved[0].y - 70) < 1e-6);
    QCOMPARE(doc->undoStack()->count(), steps_before + 1);
    // The canvas layer (re-rasterised per instance, cropped and cached) shows
    // exactly core's rasterisation of the moved polygon.
    auto overlayMatchesCore = [&] {
        const QImage& fill = canvas->overlay().fill();
        const cv::Mat core = annotation::instance_mask(doc->currentAnnotations()->instances[0], cv::Size(fill.width(), fill.height()));
        for (int y = 0; y < fill.height(); ++y)
            for (int x = 0; x < fill.width(); ++x)
                if ((qAlpha(fill.pixel(x, y)) != 0) != (core.at<uchar>(y, x) != 0)) return false;
        return true;
    };
    QVERIFY(overlayMatchesCore());
    doc->undoStack()->undo();
    QVERIFY(overlayMatchesCore());
    {
        const auto& restored = doc->currentAnnotations()->instances[0].polygons[0].outer;
        QCOMPARE(restored[0].x, 100.0);
        QCOMPARE(restored[0].y, 100.0);
    }
    // Alt+click deletes a vertex (a box keeps at least 3).
    click(canvas, 200, 180, Qt::LeftButton, Qt::AltModifier);
    QCOMPARE(doc->currentAnnotations()->instances[0].polygons[0].outer.size(), std::size_t(3));
    click(canvas, 100, 100, Qt::LeftButton, Qt::AltModifier);
    QCOMPARE(doc->currentAnnotations()->instances[0].polygons[0].outer.size(), std::size_t(3));
    // Undo in the middle of a drag: the drag stops instead of editing a vertex that is gone.
    doc->undoStack()->undo();  // the 4th vertex is back
    const QPointF corner = at(canvas, 200, 100);
    sendMouse(canvas, QEvent::MouseButtonPress, corner, Qt::LeftButton, Qt::LeftButton);
    sendMouse(canvas, QEvent::MouseMove, corner + QPointF(5, 5), Qt::NoButton, Qt::LeftButton);
    doc->undoStack()->undo();  // undoes the drag step
    doc->undoStack()->undo();  // and the box itself
    sendMouse(canvas, QEvent::MouseMove, corner + QPointF(9, 9), Qt::NoButton, Qt::LeftButton);
    sendMouse(canvas, QEvent::MouseButtonRelease, corner + QPointF(9, 9), Qt::LeftButton, Qt::NoButton);
    QVERIFY(doc->currentAnnotations()->instances.empty());
}

void TestUiRobustness::brushAndEraserEditMasks() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    BrushTool::setSizePx(21);  // radius 10
    s.window->toolBox()->activate("brush");
    doc->setSelectedInstance(0);
    drag(canvas, {100, 100}, {200, 100}, 20);  // a 100 px stroke, 21 px wide
    QCOMPARE(doc->currentAnnotations()->instances.size(), std::size_t(1));
    const auto& stroke = doc->currentAnnotations()->instances[0];
    QVERIFY(stroke.mask.has_value());
    const double painted = annotation::instance_area(stroke);
    // A 100 px band 21-23 px tall (rasterised edges are inclusive, and the
    // stroke may straddle a row boundary) plus two round caps of radius 10-12.
    QVERIFY2(painted >= 100 * 21 + 314 && painted <= 100 * 23 + 453, qPrintable(QString::number(painted)));
    const auto box = annotation::instance_bbox(stroke);
    QVERIFY(box && box->x >= 88 && box->x + box->width <= 212 && box->y >= 88 && box->y + box->height <= 112);
    s.window->toolBox()->activate("eraser");
    drag(canvas, {150, 80}, {150, 120}, 10);  // cut across the band
    const double after = annotation::instance_area(doc->currentAnnotations()->instances[0]);
    QVERIFY2(after < painted - 21 * 18 && after > painted - 21 * 30, qPrintable(QString("%1 -> %2").arg(painted).arg(after)));
    doc->undoStack()->undo();
    QCOMPARE(annotation::instance_area(doc->currentAnnotations()->instances[0]), painted);
}

void TestUiRobustness::aboutShowsRuntime() {
    QCoreApplication::setApplicationVersion("9.8.7");
    const QString text = AboutDialog::aboutText();
    QVERIFY2(text.contains("samlabel 9.8.7"), qPrintable(text));
    QVERIFY2(text.contains("libtorch"), qPrintable(text));
    QVERIFY2(text.contains("CUDA"), qPrintable(text));
    // The dialog shows the licences: samlabel's, each library it ships, and
    // that SAM3's weights are Meta's, under Meta's licence.
    AboutDialog dialog;
    const auto* licences = dialog.findChild<QPlainTextEdit*>("about_licences");
    QVERIFY(licences);
    const QString shown = licences->toPlainText();
    for (const char* needed : {"GPL-3.0-or-later", "QCustomPlot 2.1: GPL-3.0", "Qt 6", "LGPL-3.0", "LibTorch", "BSD-3-Clause",
                               "OpenCV 4: Apache-2.0", "nlohmann/json: MIT", "SAM3 model weights are not part of samlabel",
                               "Meta's own SAM licence"})
        QVERIFY2(shown.contains(QLatin1String(needed)), qPrintable(QStringLiteral("missing '%1' in:\n%2").arg(needed, shown)));
}

void TestUiRobustness::unusualFormatsAndPathsDisplay() {
    // 16-bit gray, RGBA, in a nested folder whose name has spaces and
    // non-ASCII letters: shown, annotated, saved and restored.
    Session s;
    const QString nested = s.dir.filePath(QString::fromUtf8("photos \u00e9t\u00e9 2024"));
    QVERIFY(QDir().mkpath(nested));
    cv::Mat1w gray16(64, 96);
    for (int y = 0; y < gray16.rows; ++y)
        for (int x = 0; x < gray16.cols; ++x) gray16(y, x) = static_cast<ushort>(x * 680);  // 0 .. 64600
    std::vector<uchar> png;
    QVERIFY(cv::imencode(".png", gray16, png));
    writeFile(nested + QString::fromUtf8("/na\u00efve caf\u00e9 16bit.png"), QByteArray(reinterpret_cast<const char*>(png.data()), int(png.size())));
    cv::Mat4b rgba(40, 50, cv::Vec4b(0, 0, 255, 255));  // opaque red (BGRA)
    rgba(cv::Rect(0, 0, 25, 40)).setTo(cv::Vec4b(255, 0, 0, 0));  // left half fully transparent
    QVERIFY(cv::imencode(".png", rgba, png));
    writeFile(nested + "/alpha.png", QByteArray(reinterpret_cast<const char*>(png.data()), int(png.size())));
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    QCOMPARE(doc->imageCount(), 2);
    const std::string gray_path = QString::fromUtf8("photos \u00e9t\u00e9 2024/na\u00efve caf\u00e9 16bit.png").toStdString();
    const int gray_index = doc->indexOf(gray_path);
    QVERIFY(gray_index >= 0);
    doc->setCurrentIndex(gray_index);
    QVERIFY2(canvas->hasImage(), qPrintable(canvas->imageError()));
    QCOMPARE(canvas->imageSize(), QSize(96, 64));
    // 16-bit values map onto the full 8-bit range (x * 680 / 257 give or take rounding).
    for (int x : {0, 10, 50, 95}) {
        const cv::Vec3b pixel = canvas->imageBgr8().at<cv::Vec3b>(20, x);
        const double expected = x * 680 / 257.0;
        QVERIFY2(std::abs(pixel[0] - expected) <= 1.0 && pixel[0] == pixel[1] && pixel[1] == pixel[2],
                 qPrintable(QString("x=%1: %2 vs %3").arg(x).arg(pixel[0]).arg(expected)));
    }
    s.window->toolBox()->activate("box");
    drag(canvas, {10, 10}, {40, 30});
    QCOMPARE(doc->currentAnnotations()->instances.size(), std::size_t(1));

    doc->setCurrentIndex(doc->indexOf("photos \u00e9t\u00e9 2024/alpha.png"));
    QVERIFY2(canvas->hasImage(), qPrintable(canvas->imageError()));
    QCOMPARE(canvas->imageSize(), QSize(50, 40));
    const cv::Vec3b opaque = canvas->imageBgr8().at<cv::Vec3b>(20, 40);
    QCOMPARE(opaque, cv::Vec3b(0, 0, 255));  // the opaque half keeps its colour
    const cv::Vec3b clear = canvas->imageBgr8().at<cv::Vec3b>(20, 5);
    QVERIFY(clear[0] == clear[1] && clear[1] == clear[2]);  // transparent: neutral background, not the hidden blue

    QVERIFY(s.window->close());
    MainWindow reopened;
    QVERIFY(reopened.openFolder(s.dir.path()));
    QCOMPARE(reopened.document()->annotations(reopened.document()->indexOf(gray_path))->instances.size(), std::size_t(1));
}

void TestUiRobustness::autosaveTimerSavesWithoutSwitching() {
    AppSettings::setAutosaveIntervalSeconds(1);
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    doc->save();
    const int saves = doc->saveCount();
    s.window->toolBox()->activate("box");
    drag(s.window->canvas(), {10, 10}, {60, 60});
    QVERIFY(doc->isDirty());
    QTRY_VERIFY_WITH_TIMEOUT(doc->saveCount() > saves && !doc->isDirty(), 4000);
    QCOMPARE(doc->currentIndex(), 0);
    // The file on disk has the box.
    MainWindow other;
    QVERIFY(other.openFolder(s.dir.path()));
    QCOMPARE(other.document()->annotations(0)->instances.size(), std::size_t(1));
}

void TestUiRobustness::zoomKeepsThePointUnderTheCursor() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    CanvasWidget* canvas = s.window->canvas();
    const QPointF cursor = at(canvas, 123.0, 321.0);
    const double scale = canvas->zoom();
    QWheelEvent wheel(cursor, canvas->mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(canvas, &wheel);
    QVERIFY(std::abs(canvas->zoom() - scale * 1.25 * 1.25) < 1e-9);
    const QPointF under = canvas->toImage(cursor);
    QVERIFY(std::abs(under.x() - 123.0) < 1e-6 && std::abs(under.y() - 321.0) < 1e-6);
    canvas->actualSize();
    QCOMPARE(canvas->zoom(), 1.0);
    canvas->fitToWindow();
    QVERIFY(canvas->zoom() * 512 <= canvas->height());
}

void TestUiRobustness::hoverAndOpacity() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    CanvasWidget* canvas = s.window->canvas();
    s.window->toolBox()->activate("box");
    drag(canvas, {100, 100}, {200, 200});
    const auto id = s.window->document()->currentAnnotations()->instances[0].id;
    sendMouse(canvas, QEvent::MouseMove, at(canvas, 150, 150), Qt::NoButton, Qt::NoButton);
    QCOMPARE(canvas->hoveredInstance(), id);
    sendMouse(canvas, QEvent::MouseMove, at(canvas, 300, 300), Qt::NoButton, Qt::NoButton);
    QCOMPARE(canvas->hoveredInstance(), std::uint64_t(0));
    // The fill layer holds the class colour exactly where the box is.
    const QImage& fill = canvas->overlay().fill();
    const std::uint32_t rgb = s.window->document()->classColour(s.window->document()->currentClass());
    QCOMPARE(fill.pixel(150, 150), QRgb(0xff000000u | rgb));
    QCOMPARE(qAlpha(fill.pixel(99, 150)), 0);
    QCOMPARE(qAlpha(fill.pixel(100, 150)), 255);
    QCOMPARE(qAlpha(fill.pixel(199, 150)), 255);
    QCOMPARE(qAlpha(fill.pixel(200, 150)), 0);
    s.window->opacitySlider()->setValue(20);
    QCOMPARE(canvas->maskOpacity(), 0.2);
    QCOMPARE(AppSettings::maskOpacity(), 0.2);
}

void TestUiRobustness::exifOrientationIsApplied() {
    // A 60 x 40 JPEG whose EXIF says orientation 6 ("rotate 90 degrees
    // clockwise to display"): shown 40 x 60, the stored top-left corner
    // (red) ends up top-right.
    cv::Mat3b stored(40, 60, cv::Vec3b(200, 200, 200));
    stored(cv::Rect(0, 0, 12, 12)).setTo(cv::Vec3b(0, 0, 255));
    std::vector<uchar> jpeg;
    QVERIFY(cv::imencode(".jpg", stored, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}));
    // APP1 "Exif": little-endian TIFF header, IFD0 with one entry 0x0112 (SHORT) = 6.
    const uchar exif[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,
                          0x01, 0x00, 0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00};
    QByteArray bytes(reinterpret_cast<const char*>(jpeg.data()), 2);  // SOI
    bytes.append(reinterpret_cast<const char*>(exif), sizeof(exif));
    bytes.append(reinterpret_cast<const char*>(jpeg.data()) + 2, int(jpeg.size()) - 2);
    Session s;
    writeFile(s.dir.filePath("rotated.JPG"), bytes);
    QVERIFY(s.open());
    CanvasWidget* canvas = s.window->canvas();
    QVERIFY2(canvas->hasImage(), qPrintable(canvas->imageError()));
    QCOMPARE(canvas->imageSize(), QSize(40, 60));
    const cv::Vec3b top_right = canvas->imageBgr8().at<cv::Vec3b>(3, 36);
    const cv::Vec3b top_left = canvas->imageBgr8().at<cv::Vec3b>(3, 3);
    QVERIFY2(top_right[2] > 180 && top_right[0] < 60, "stored top-left is not at the displayed top-right");
    QVERIFY(top_left[0] > 150 && top_left[2] > 150);  // grey
    QCOMPARE(s.window->document()->annotations(0)->width, 40);
    QCOMPARE(s.window->document()->annotations(0)->height, 60);
}

void TestUiRobustness::projectFileElsewhere() {
    // samlabel FOLDER --project FILE: the project lives outside the image
    // folder; later, the project file alone finds the images again.
    Session s;
    QVERIFY(QDir().mkpath(s.dir.filePath("images")));
    QVERIFY(QDir().mkpath(s.dir.filePath("projects")));
    QCOMPARE(copySamples(s.dir.filePath("images")), 5);
    const QString project = s.dir.filePath("projects/run1.json");
    {
        MainWindow window;
        QVERIFY(window.openFolder(s.dir.filePath("images"), project));
        window.toolBox()->activate("box");
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        drag(window.canvas(), {10, 10}, {90, 70});
        QVERIFY(window.close());
    }
    QVERIFY(QFileInfo::exists(project));
    QVERIFY(!QFileInfo::exists(s.dir.filePath("images/samlabel-project.json")));
    MainWindow window;
    QVERIFY(window.openFolder({}, project));
    QCOMPARE(QDir(window.document()->imageFolder()).canonicalPath(), QDir(s.dir.filePath("images")).canonicalPath());
    QCOMPARE(window.document()->imageCount(), 5);
    QCOMPARE(window.document()->annotations(0)->instances.size(), std::size_t(1));
    QVERIFY(window.canvas()->hasImage());
}

void TestUiRobustness::classEditsNeverRelabel() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    ClassesDock* classes = s.window->classesDock();
    const annotation::ClassId object = doc->currentClass();
    const annotation::ClassId car = classes->addClass("car");
    const annotation::ClassId tree = classes->addClass("tree");
    doc->setCurrentClass(car);
    s.window->toolBox()->activate("box");
    drag(s.window->canvas(), {10, 10}, {90, 70});
    const auto id = doc->currentAnnotations()->instances[0].id;
    QCOMPARE(doc->currentAnnotations()->instances[0].class_id, car);
    // Reorder by drag and drop in the list widget's model: car to the end.
    QListWidget* list = classes->list();
    QCOMPARE(list->count(), 3);
    list->model()->moveRow(QModelIndex(), 1, QModelIndex(), 3);
    QTRY_COMPARE(doc->project().classes().back().id, car);
    QCOMPARE(doc->project().classes().front().id, object);
    QCOMPARE(doc->currentAnnotations()->instances[0].class_id, car);  // same id, same class
    // Change the instance's class through the instances dock.
    doc->setSelectedInstance(id);
    QTableWidget* table = s.window->instancesDock()->table();
    auto* combo = qobject_cast<QComboBox*>(table->cellWidget(0, 1));
    QVERIFY(combo);
    QCOMPARE(combo->currentData().toInt(), car);
    s.window->instancesDock()->changeSelectedClass(tree);
    QCOMPARE(doc->currentAnnotations()->instances[0].class_id, tree);
    QCOMPARE(qobject_cast<QComboBox*>(table->cellWidget(0, 1))->currentData().toInt(), tree);  // the list follows
    QCOMPARE(table->item(0, 2)->text(), QString::number(80 * 60));                                // area column
    // Removing its class leaves the instance, unassigned; undo restores both.
    doc->setCurrentClass(tree);
    classes->removeCurrent();
    QVERIFY(!doc->project().find_class(tree));
    QCOMPARE(doc->currentAnnotations()->instances.size(), std::size_t(1));
    QCOMPARE(doc->currentAnnotations()->instances[0].class_id, annotation::kNoClass);
    doc->undoStack()->undo();
    QVERIFY(doc->project().find_class(tree));
    QCOMPARE(doc->currentAnnotations()->instances[0].class_id, tree);
}

void TestUiRobustness::panWithMiddleDragAndSpace() {
    Session s;
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    CanvasWidget* canvas = s.window->canvas();
    s.window->toolBox()->activate("box");
    const QPointF start(400, 300);
    const QPointF before = canvas->toImage(start);
    sendMouse(canvas, QEvent::MouseButtonPress, start, Qt::MiddleButton, Qt::MiddleButton);
    sendMouse(canvas, QEvent::MouseMove, start + QPointF(50, 30), Qt::NoButton, Qt::MiddleButton);
    sendMouse(canvas, QEvent::MouseButtonRelease, start + QPointF(50, 30), Qt::MiddleButton, Qt::NoButton);
    const QPointF after = canvas->toImage(start + QPointF(50, 30));
    QVERIFY(std::abs(after.x() - before.x()) < 1e-9 && std::abs(after.y() - before.y()) < 1e-9);  // the image moved with the mouse
    QVERIFY(s.window->document()->currentAnnotations()->instances.empty());  // no box drawn
    // Space held + left drag pans too and does not draw; the release does not accept anything.
    QTest::keyPress(canvas, Qt::Key_Space);
    const QPointF before2 = canvas->toImage(start);
    drag(canvas, canvas->toImage(start), canvas->toImage(start + QPointF(-40, 20)));
    QTest::keyRelease(canvas, Qt::Key_Space);
    QVERIFY(std::abs(canvas->toImage(start + QPointF(-40, 20)).x() - before2.x()) < 1e-9);
    QVERIFY(s.window->document()->currentAnnotations()->instances.empty());
}

void TestUiRobustness::largeImagesDecodeOffTheUiThread() {
    Session s;
    cv::Mat3b big(2100, 3000, cv::Vec3b(30, 120, 200));  // 6.3 MP, above the synchronous threshold
    cv::circle(big, {1500, 1050}, 600, cv::Scalar(240, 240, 240), cv::FILLED);
    QVERIFY(std::uint64_t(big.total()) > CanvasWidget::kSyncDecodePixels);
    QVERIFY(cv::imwrite(s.dir.filePath("big.jpg").toStdString(), big));
    QCOMPARE(copySamples(s.dir.path()), 5);
    QVERIFY(s.open());
    AnnotationDocument* doc = s.window->document();
    CanvasWidget* canvas = s.window->canvas();
    doc->setCurrentIndex(doc->indexOf("big.jpg"));
    QVERIFY(canvas->isLoading());  // returned to the event loop before decoding
    QVERIFY(!canvas->hasImage());
    canvas->grab();                // paints the loading state
    QTRY_VERIFY_WITH_TIMEOUT(!canvas->isLoading(), 10000);
    QVERIFY(canvas->hasImage());
    QCOMPARE(canvas->imageSize(), QSize(3000, 2100));
    // Switching away while a large image decodes: the late result is dropped.
    doc->setCurrentIndex(doc->indexOf("chelsea.jpg"));
    doc->setCurrentIndex(doc->indexOf("big.jpg"));
    doc->setCurrentIndex(doc->indexOf("chelsea.jpg"));
    QVERIFY(!canvas->isLoading());
    QTest::qWait(500);
    QCOMPARE(canvas->imageSize(), QSize(451, 300));
}

QTEST_MAIN(TestUiRobustness)
#include "test_ui_robustness.moc"
