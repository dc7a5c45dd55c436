#pragma once
// Shared by the GUI tests: a temp copy of the bundled samples, mouse input
// with explicit button state (QTest::mouseMove does not carry held buttons),
// and image <-> widget coordinate helpers.
#include "ui/canvas/canvas_widget.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QMouseEvent>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace samlabel::ui::test {

// Settings of the tests never touch the user's own.
inline void isolateSettings() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("samlabel-tests");
    QCoreApplication::setApplicationName("samlabel-ui-tests");
    QSettings().clear();
    // The model's caches (converted weights) go to a folder of this run, not
    // the user's: a test's bf16 load must neither read nor fill the real cache.
    static QTemporaryDir cache_dir;
    qputenv("SAMLABEL_CACHE", cache_dir.path().toUtf8());
}

inline QStringList sampleNames() {
    return QDir(QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples")).entryList({"*.jpg"}, QDir::Files, QDir::Name);
}

// Copies the bundled sample photos into `dir`. Returns the number copied.
inline int copySamples(const QString& dir) {
    int copied = 0;
    for (const QString& name : sampleNames()) {
        if (QFile::copy(QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples/") + name, dir + "/" + name)) ++copied;
    }
    return copied;
}

inline void sendMouse(QWidget* widget, QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons,
                      Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    QMouseEvent event(type, pos, widget->mapToGlobal(pos), button, buttons, modifiers);
    QApplication::sendEvent(widget, &event);
}

inline QPointF at(const CanvasWidget* canvas, double image_x, double image_y) { return canvas->toWidget({image_x, image_y}); }

inline void click(CanvasWidget* canvas, double x, double y, Qt::MouseButton button = Qt::LeftButton,
                  Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    const QPointF p = at(canvas, x, y);
    sendMouse(canvas, QEvent::MouseMove, p, Qt::NoButton, Qt::NoButton, modifiers);
    sendMouse(canvas, QEvent::MouseButtonPress, p, button, button, modifiers);
    sendMouse(canvas, QEvent::MouseButtonRelease, p, button, Qt::NoButton, modifiers);
}

inline void drag(CanvasWidget* canvas, QPointF from_image, QPointF to_image, int steps = 8) {
    const QPointF a = canvas->toWidget(from_image), b = canvas->toWidget(to_image);
    sendMouse(canvas, QEvent::MouseMove, a, Qt::NoButton, Qt::NoButton);
    sendMouse(canvas, QEvent::MouseButtonPress, a, Qt::LeftButton, Qt::LeftButton);
    for (int i = 1; i <= steps; ++i)
        sendMouse(canvas, QEvent::MouseMove, a + (b - a) * (double(i) / steps), Qt::NoButton, Qt::LeftButton);
    sendMouse(canvas, QEvent::MouseButtonRelease, b, Qt::LeftButton, Qt::NoButton);
}

}  // namespace samlabel::ui::test
