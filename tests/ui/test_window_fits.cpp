// The window fits small screens (issue 13, item 5): on a 1366x768 screen at
// 100 % and on a 1920x1080 screen at 150 % (QT_SCALE_FACTOR=1.5: 1280x720
// logical pixels) the whole window, title bar and a taskbar included, fits the
// screen; the panels never overlap (the model panel scrolls, Load stays
// reachable), also with the Training panel shown; a window saved on a larger
// screen comes back inside this one; and the class list takes the height the
// window gives it.
//
// The offscreen screen is set by a platform config file written before the
// QApplication starts: SAMLABEL_TEST_SCREEN=WxH (default 1366x768); ctest runs
// this test twice (see tests/ui/CMakeLists.txt). SAMLABEL_SCREENSHOT_DIR=dir
// saves the window at its smallest and at the screen's size.
#include "ui/docks/classes_dock.h"
#include "ui/docks/model_panel.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/settings/app_settings.h"
#include "ui/tools/tool.h"
#include "ui_test_helpers.h"

#include <QDockWidget>
#include <QListWidget>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QTest>

using namespace samlabel;
using namespace samlabel::ui;

namespace {

// Logical pixels a window manager takes around the client area and a taskbar takes off the
// screen: a 30 px title bar, 4 px borders and a 44 px panel (GNOME, KDE, Windows 11 are 40-48).
constexpr int kTitleAndTaskbar = 30 + 4 + 44;
constexpr int kBorders = 8;

QSize screenSizeFromEnv() {
    const QStringList wh = qEnvironmentVariable("SAMLABEL_TEST_SCREEN", QStringLiteral("1366x768")).split('x');
    return {wh.value(0).toInt(), wh.value(1).toInt()};
}

void screenshot(QWidget* window, const QString& name) {
    const QString dir = qEnvironmentVariable("SAMLABEL_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QApplication::processEvents();
    window->grab().save(dir + "/" + name + ".png");
}

// The part of `w` the user can see inside the window (clipped by scroll areas and docks).
bool fullyVisible(QWidget* w) { return w->isVisible() && w->visibleRegion().boundingRect() == w->rect(); }

}  // namespace

class TestWindowFits : public QObject {
    Q_OBJECT
    QTemporaryDir images_;
    QSize room_;  // the logical size a window may take on this screen

private Q_SLOTS:
    void initTestCase() {
        test::isolateSettings();
        QVERIFY(test::copySamples(images_.path()) >= 2);
        QScreen* screen = QGuiApplication::primaryScreen();
        const QSize physical = screenSizeFromEnv();
        const double scale = qEnvironmentVariableIsSet("QT_SCALE_FACTOR") ? qEnvironmentVariable("QT_SCALE_FACTOR").toDouble() : 1.0;
        // The platform config and QT_SCALE_FACTOR really gave this screen.
        QCOMPARE(screen->geometry().size(), QSize(qRound(physical.width() / scale), qRound(physical.height() / scale)));
        room_ = screen->availableGeometry().size() - QSize(kBorders, kTitleAndTaskbar);
        qInfo() << "screen" << physical << "scale" << scale << "logical" << screen->geometry().size() << "room" << room_;
    }

    // The smallest the window can be is smaller than the screen, with every panel that can show.
    void minimumFitsTheScreen() {
        MainWindow window;
        window.show();
        QVERIFY(window.openFolder(images_.path()));
        window.findChild<ModelUi*>()->panel()->setWeightsFolder(QStringLiteral(SAMLABEL_TEST_DATA "/sam3_detect/det224"));
        // The Training panel shows while a training run goes (it once covered Load).
        for (QDockWidget* dock : window.findChildren<QDockWidget*>()) dock->show();
        QApplication::processEvents();
        const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
        qInfo() << "minimum size" << minimum;
        QVERIFY2(minimum.width() <= room_.width() && minimum.height() <= room_.height(),
                 qPrintable(QStringLiteral("the window needs at least %1x%2, the screen leaves %3x%4")
                                .arg(minimum.width()).arg(minimum.height()).arg(room_.width()).arg(room_.height())));
        window.resize(minimum);
        QTest::qWait(50);
        screenshot(&window, QStringLiteral("window-smallest-%1").arg(qEnvironmentVariable("SAMLABEL_TEST_SCREEN", "1366x768")));
        checkNoOverlapAndLoadReachable(window);
    }

    // First start (no saved geometry): the window opens inside the screen.
    void firstStartOpensInsideTheScreen() {
        QSettings().clear();
        MainWindow window;
        window.show();
        QVERIFY(window.openFolder(images_.path()));
        QApplication::processEvents();
        const QRect available = QGuiApplication::primaryScreen()->availableGeometry();
        QVERIFY2(window.width() <= room_.width() && window.height() <= room_.height(),
                 qPrintable(QStringLiteral("opens at %1x%2 on a %3x%4 screen")
                                .arg(window.width()).arg(window.height()).arg(available.width()).arg(available.height())));
        screenshot(&window, QStringLiteral("window-first-start-%1").arg(qEnvironmentVariable("SAMLABEL_TEST_SCREEN", "1366x768")));
        checkNoOverlapAndLoadReachable(window);
    }

    // A window saved on a 2560x1440 screen comes back inside this one.
    void restoredGeometryFromALargerScreenFits() {
        {
            MainWindow big;
            big.setGeometry(40, 40, 2400, 1300);
            big.show();
            AppSettings::setWindowGeometry(big.saveGeometry());
            AppSettings::setWindowState(big.saveState());
        }
        MainWindow window;
        window.show();
        QApplication::processEvents();
        QVERIFY2(window.width() <= room_.width() && window.height() <= room_.height(),
                 qPrintable(QStringLiteral("restored at %1x%2").arg(window.width()).arg(window.height())));
        QSettings().clear();
    }

    // The class list gets the height the window gives: 20 classes show more rows in a taller window.
    void classListGrows() {
        MainWindow window;
        window.show();
        QVERIFY(window.openFolder(images_.path()));
        for (int i = 0; i < 20; ++i) window.classesDock()->addClass(QStringLiteral("class %1").arg(i));
        const QSize minimum = window.minimumSizeHint();
        window.resize(minimum);
        QTest::qWait(50);
        const int small = window.classesDock()->list()->viewport()->height();
        window.resize(minimum + QSize(0, 300));
        QTest::qWait(50);
        const int tall = window.classesDock()->list()->viewport()->height();
        qInfo() << "class list" << small << "->" << tall;
        QVERIFY2(tall >= small + 100, qPrintable(QStringLiteral("the class list went from %1 to %2 px").arg(small).arg(tall)));
        // At the smallest size it still shows a few rows.
        QVERIFY2(small >= 3 * window.classesDock()->list()->sizeHintForRow(0), qPrintable(QString::number(small)));
    }

private:
    void checkNoOverlapAndLoadReachable(MainWindow& window) {
        QList<QDockWidget*> docks;
        for (QDockWidget* dock : window.findChildren<QDockWidget*>())
            if (dock->isVisible() && !dock->isFloating()) docks << dock;
        for (int i = 0; i < docks.size(); ++i) {
            // Each dock is inside the window and at least as large as its content needs.
            QVERIFY2(window.rect().contains(docks[i]->geometry()), qPrintable(docks[i]->objectName()));
            QWidget* body = docks[i]->widget();
            QVERIFY2(body->height() >= body->minimumSizeHint().height() || qobject_cast<QScrollArea*>(body),
                     qPrintable(QStringLiteral("%1 squeezed to %2 px, needs %3")
                                    .arg(docks[i]->objectName()).arg(body->height()).arg(body->minimumSizeHint().height())));
            for (int j = i + 1; j < docks.size(); ++j)
                QVERIFY2(!docks[i]->geometry().intersects(docks[j]->geometry()),
                         qPrintable(docks[i]->objectName() + " overlaps " + docks[j]->objectName()));
        }
        // Load is on screen, or one scroll away.
        auto* load = window.findChild<QPushButton*>(QStringLiteral("loadButton"));
        QVERIFY(load);
        if (!fullyVisible(load)) {
            QScrollArea* scroll = nullptr;
            for (QWidget* p = load->parentWidget(); p && !scroll; p = p->parentWidget()) scroll = qobject_cast<QScrollArea*>(p);
            QVERIFY2(scroll, "Load is hidden and no scroll area can bring it into view");
            scroll->ensureWidgetVisible(load);
            QApplication::processEvents();
            QVERIFY2(fullyVisible(load), "Load stays hidden after scrolling to it");
        }
    }
};

int main(int argc, char** argv) {
    // An offscreen screen of the size under test (Qt's offscreen platform reads a JSON config).
    const QSize screen = screenSizeFromEnv();
    QTemporaryDir config_dir;
    const QString config = config_dir.filePath(QStringLiteral("screen.json"));
    QFile file(config);
    if (!file.open(QIODevice::WriteOnly)) return 2;
    file.write(QStringLiteral(R"({"screens": [{"name": "test", "x": 0, "y": 0, "width": %1, "height": %2, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]})")
                   .arg(screen.width()).arg(screen.height()).toUtf8());
    file.close();
    qputenv("QT_QPA_PLATFORM", QStringLiteral("offscreen:configfile=%1").arg(config).toLocal8Bit());
    QApplication app(argc, argv);
    TestWindowFits test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_window_fits.moc"
