#pragma once
// A canvas tool (polygon, box, brush, select, GrabCut, later SAM). The canvas
// forwards mouse events in image coordinates to the active tool and lets it
// paint an overlay; tools change the project only through
// AnnotationDocument::apply(), so every edit is undoable.
//
// To add a tool: subclass, then MainWindow::toolBox()->addTool(new MyTool).
#include "ui/canvas/view_transform.h"

#include <QCursor>
#include <QKeySequence>
#include <QObject>
#include <QPointF>
#include <QString>

class QKeyEvent;
class QPainter;

namespace samlabel::ui {

class AnnotationDocument;
class CanvasWidget;

struct ToolMouseEvent {
    QPointF image_pos;   // image pixels (corner frame, see view_transform.h)
    QPointF widget_pos;
    Qt::MouseButton button = Qt::NoButton;  // the button that changed (press/release)
    Qt::MouseButtons buttons;               // held buttons
    Qt::KeyboardModifiers modifiers;
};

class Tool : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Tool() override = default;

    virtual QString id() const = 0;       // stable, e.g. "polygon"
    virtual QString title() const = 0;    // shown in the toolbar
    virtual QString help() const = 0;     // one line for the status bar and the shortcuts dialog
    virtual QKeySequence shortcut() const { return {}; }
    virtual QCursor cursor() const { return Qt::CrossCursor; }

    // Called once by the ToolBox.
    void attach(AnnotationDocument* document, CanvasWidget* canvas) {
        document_ = document;
        canvas_ = canvas;
    }

    virtual void activate() {}
    // Another tool takes over. By default the pending shape is dropped; tools
    // whose pending result is costly (GrabCut, SAM) keep it until they return.
    virtual void deactivate() { cancel(); }
    virtual void mousePress(const ToolMouseEvent&) {}
    virtual void mouseMove(const ToolMouseEvent&) {}
    virtual void mouseRelease(const ToolMouseEvent&) {}
    virtual void mouseDoubleClick(const ToolMouseEvent&) {}
    // Keys the canvas receives while this tool is active; true = consumed.
    virtual bool keyPress(QKeyEvent*) { return false; }
    // Draws in widget coordinates over the image and instances.
    virtual void paintOverlay(QPainter&, const ViewTransform&) const {}
    // Enter/Space: commit the pending shape. False when nothing was pending.
    virtual bool accept() { return false; }
    // Esc: drop the pending shape. False when nothing was pending.
    virtual bool cancel() { return false; }
    // The canvas switched to another image (pending work belongs to the old one).
    virtual void imageChanged() { cancel(); }
    // Whether the tool holds an unfinished shape.
    virtual bool hasPendingWork() const { return false; }

signals:
    void overlayChanged();                     // repaint needed
    void statusMessage(const QString& text);   // for the status bar

protected:
    AnnotationDocument* document_ = nullptr;
    CanvasWidget* canvas_ = nullptr;
};

}  // namespace samlabel::ui
