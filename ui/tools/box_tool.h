#pragma once
// Box: drag a rectangle; it becomes a 4-vertex polygon instance (editable
// with the select tool). Esc during the drag cancels.
#include "ui/tools/tool.h"

#include <QRectF>

#include <optional>

namespace samlabel::ui {

class BoxTool : public Tool {
    Q_OBJECT
public:
    using Tool::Tool;
    QString id() const override { return "box"; }
    QString title() const override { return tr("Box"); }
    QString help() const override { return tr("Box: drag a rectangle around the object"); }
    QKeySequence shortcut() const override { return QKeySequence(Qt::Key_W); }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseRelease(const ToolMouseEvent& event) override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool cancel() override;
    bool hasPendingWork() const override { return start_.has_value(); }

private:
    QRectF currentRect() const;  // image coordinates, whole pixels, inside the image

    std::optional<QPointF> start_;
    QPointF end_;
};

}  // namespace samlabel::ui
