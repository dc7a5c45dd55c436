#include "ui/tools/polygon_tool.h"

#include "ui/canvas/canvas_widget.h"
#include "ui/tools/new_instance.h"

#include <QKeyEvent>
#include <QLineF>
#include <QPainter>

#include <algorithm>

namespace samlabel::ui {
namespace {
constexpr double kCloseDistancePx = 9.0;  // screen pixels
}

QPointF PolygonTool::clampToImage(QPointF p) const {
    const QSize size = canvas_->imageSize();
    return {std::clamp(p.x(), 0.0, double(size.width())), std::clamp(p.y(), 0.0, double(size.height()))};
}

bool PolygonTool::nearFirstVertex(QPointF widget_pos) const {
    return vertices_.size() >= 3 &&
           QLineF(canvas_->toWidget(vertices_.front()), widget_pos).length() <= kCloseDistancePx;
}

void PolygonTool::mousePress(const ToolMouseEvent& event) {
    if (event.button == Qt::RightButton) {
        if (!vertices_.isEmpty()) vertices_.removeLast();
        emit overlayChanged();
        return;
    }
    if (event.button != Qt::LeftButton) return;
    if (nearFirstVertex(event.widget_pos)) {
        accept();
        return;
    }
    const QPointF p = clampToImage(event.image_pos);
    // A double click sends press twice at one spot: keep a single vertex.
    if (!vertices_.isEmpty() && QLineF(canvas_->toWidget(vertices_.back()), event.widget_pos).length() < 2.0) return;
    vertices_ << p;
    if (vertices_.size() == 1) emit statusMessage(tr("Polygon: click the first vertex or press Enter to close"));
    emit overlayChanged();
}

void PolygonTool::mouseMove(const ToolMouseEvent& event) {
    cursor_image_ = clampToImage(event.image_pos);
    cursor_widget_ = event.widget_pos;
    if (!vertices_.isEmpty()) emit overlayChanged();
}

void PolygonTool::mouseDoubleClick(const ToolMouseEvent& event) {
    if (event.button == Qt::LeftButton) accept();
}

bool PolygonTool::keyPress(QKeyEvent* event) {
    if (event->key() == Qt::Key_Backspace && !vertices_.isEmpty()) {
        vertices_.removeLast();
        emit overlayChanged();
        return true;
    }
    return false;
}

bool PolygonTool::accept() {
    if (vertices_.size() < 3) {
        if (!vertices_.isEmpty()) emit statusMessage(tr("Polygon: at least 3 vertices are needed"));
        return false;
    }
    annotation::PolygonWithHoles polygon;
    for (const QPointF& p : vertices_) polygon.outer.push_back({p.x(), p.y()});
    vertices_.clear();
    emit overlayChanged();
    addPolygonInstance(*document_, {std::move(polygon)});
    return true;
}

bool PolygonTool::cancel() {
    if (vertices_.isEmpty()) return false;
    vertices_.clear();
    emit overlayChanged();
    return true;
}

void PolygonTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    if (vertices_.isEmpty()) return;
    QPolygonF widget_points;
    for (const QPointF& p : vertices_) widget_points << view.toWidget(p);
    painter.setRenderHint(QPainter::Antialiasing, true);
    QPolygonF with_cursor = widget_points;
    with_cursor << view.toWidget(cursor_image_);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(255, 255, 0, 50));
    painter.drawPolygon(with_cursor);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(QColor(255, 235, 59), 2.0));
    painter.drawPolyline(widget_points);
    painter.setPen(QPen(QColor(255, 235, 59), 1.0, Qt::DashLine));
    painter.drawLine(widget_points.back(), view.toWidget(cursor_image_));
    const bool closing = nearFirstVertex(cursor_widget_);
    for (int i = 0; i < widget_points.size(); ++i) {
        const bool first = i == 0;
        painter.setPen(QPen(Qt::black, 1.0));
        painter.setBrush(first && closing ? QColor(76, 175, 80) : QColor(255, 235, 59));
        const double r = first ? (closing ? 7.0 : 5.0) : 4.0;
        painter.drawEllipse(widget_points[i], r, r);
    }
}

}  // namespace samlabel::ui
