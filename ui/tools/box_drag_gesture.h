#pragma once
// A press on the canvas that becomes a box drag once the pointer has moved a
// few screen pixels with the left button held; a shorter press stays a click.
// Shared by the prompt tools (GrabCut, SAM), which seed with points or a box.
#include "ui/tools/tool.h"

#include <QLineF>
#include <QRectF>

#include <optional>

namespace samlabel::ui {

class BoxDragGesture {
public:
    // Screen distance, not image distance, so a drag feels the same at any zoom.
    static constexpr double kDragThresholdPx = 4.0;

    // Left or right button starts a gesture; other buttons are ignored.
    void press(const ToolMouseEvent& event) {
        if (event.button != Qt::LeftButton && event.button != Qt::RightButton) return;
        press_widget_ = event.widget_pos;
        press_image_ = drag_image_ = event.image_pos;
        dragging_ = false;
    }

    // True when the dragged box changed (the overlay needs a repaint).
    bool move(const ToolMouseEvent& event) {
        if (!press_widget_ || !(event.buttons & Qt::LeftButton)) return false;
        if (!dragging_ && QLineF(*press_widget_, event.widget_pos).length() >= kDragThresholdPx) dragging_ = true;
        drag_image_ = event.image_pos;
        return dragging_;
    }

    bool pressed() const { return press_widget_.has_value(); }

    // Ends the gesture: the box (image pixels, not clipped) when it was a
    // left-button drag, nullopt when it was a click.
    std::optional<QRectF> release(const ToolMouseEvent& event) {
        press_widget_.reset();
        if (!dragging_ || event.button != Qt::LeftButton) return std::nullopt;
        dragging_ = false;
        return QRectF(press_image_, event.image_pos).normalized();
    }

    void reset() {
        press_widget_.reset();
        dragging_ = false;
    }

    // The box being dragged, for the overlay.
    std::optional<QRectF> draggedBox() const {
        if (!dragging_) return std::nullopt;
        return QRectF(press_image_, drag_image_).normalized();
    }

private:
    std::optional<QPointF> press_widget_;
    QPointF press_image_, drag_image_;
    bool dragging_ = false;
};

}  // namespace samlabel::ui
