#include "ui/tools/box_tool.h"

#include "ui/canvas/canvas_widget.h"
#include "ui/tools/new_instance.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace samlabel::ui {

QRectF BoxTool::currentRect() const {
    if (!start_) return {};
    const QSize size = canvas_->imageSize();
    auto clampX = [&](double x) { return std::clamp(std::round(x), 0.0, double(size.width())); };
    auto clampY = [&](double y) { return std::clamp(std::round(y), 0.0, double(size.height())); };
    return QRectF(QPointF(clampX(start_->x()), clampY(start_->y())), QPointF(clampX(end_.x()), clampY(end_.y()))).normalized();
}

void BoxTool::mousePress(const ToolMouseEvent& event) {
    if (event.button != Qt::LeftButton) return;
    start_ = event.image_pos;
    end_ = event.image_pos;
    emit overlayChanged();
}

void BoxTool::mouseMove(const ToolMouseEvent& event) {
    if (!start_) return;
    end_ = event.image_pos;
    emit overlayChanged();
}

void BoxTool::mouseRelease(const ToolMouseEvent& event) {
    if (!start_ || event.button != Qt::LeftButton) return;
    end_ = event.image_pos;
    const QRectF r = currentRect();
    start_.reset();
    emit overlayChanged();
    if (r.width() < 1.0 || r.height() < 1.0) {
        emit statusMessage(tr("Box: drag to draw a box (too small)"));
        return;
    }
    annotation::PolygonWithHoles polygon;
    polygon.outer = {{r.left(), r.top()}, {r.right(), r.top()}, {r.right(), r.bottom()}, {r.left(), r.bottom()}};
    addPolygonInstance(*document_, {std::move(polygon)});
}

bool BoxTool::cancel() {
    if (!start_) return false;
    start_.reset();
    emit overlayChanged();
    return true;
}

void BoxTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    if (!start_) return;
    const QRectF r = view.toWidget(currentRect());
    painter.setBrush(QColor(255, 235, 59, 40));
    painter.setPen(QPen(QColor(255, 235, 59), 2.0, Qt::DashLine));
    painter.drawRect(r);
}

}  // namespace samlabel::ui
