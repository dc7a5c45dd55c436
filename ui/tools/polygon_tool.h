#pragma once
// Polygon: click vertices; close by clicking the first vertex, double-click,
// or Enter/Space. Backspace or right click removes the last vertex; Esc cancels.
#include "ui/tools/tool.h"

#include <QPolygonF>

namespace samlabel::ui {

class PolygonTool : public Tool {
    Q_OBJECT
public:
    using Tool::Tool;
    QString id() const override { return "polygon"; }
    QString title() const override { return tr("Polygon"); }
    QString help() const override {
        return tr("Polygon: click vertices, click the first vertex or press Enter to close, Backspace removes the last, Esc cancels");
    }
    QKeySequence shortcut() const override { return QKeySequence(Qt::Key_P); }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseDoubleClick(const ToolMouseEvent& event) override;
    bool keyPress(QKeyEvent* event) override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool accept() override;
    bool cancel() override;
    bool hasPendingWork() const override { return !vertices_.isEmpty(); }
    int vertexCount() const { return int(vertices_.size()); }

private:
    bool nearFirstVertex(QPointF widget_pos) const;
    QPointF clampToImage(QPointF image_pos) const;

    QPolygonF vertices_;  // image coordinates
    QPointF cursor_image_;
    QPointF cursor_widget_;
};

}  // namespace samlabel::ui
