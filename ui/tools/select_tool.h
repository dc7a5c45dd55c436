#pragma once
// Select / edit: click an instance to select it, drag a vertex of the selected
// instance to move it (one undo step per drag), Alt+click a vertex to delete
// it. Delete removes the selected instance (a MainWindow action).
#include "ui/tools/tool.h"

#include <cstdint>
#include <optional>

namespace samlabel::ui {

class SelectTool : public Tool {
    Q_OBJECT
public:
    using Tool::Tool;
    QString id() const override { return "select"; }
    QString title() const override { return tr("Select"); }
    QString help() const override {
        return tr("Select: click an instance; drag its vertices to reshape, Alt+click a vertex to delete it");
    }
    QKeySequence shortcut() const override { return QKeySequence(Qt::Key_V); }
    QCursor cursor() const override { return Qt::ArrowCursor; }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseRelease(const ToolMouseEvent& event) override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool cancel() override;
    bool hasPendingWork() const override { return drag_.has_value(); }

private:
    struct VertexRef {
        std::size_t polygon = 0;
        int ring = -1;  // -1 = outer, else hole index
        std::size_t vertex = 0;
    };
    std::optional<VertexRef> vertexAt(QPointF widget_pos) const;
    void moveVertex(const VertexRef& ref, QPointF image_pos, std::uint64_t merge_key);
    void removeVertex(const VertexRef& ref);

    struct Drag {
        VertexRef vertex;
        std::uint64_t merge_key = 0;
        bool moved = false;
    };
    std::optional<Drag> drag_;
    std::optional<VertexRef> hovered_vertex_;
};

}  // namespace samlabel::ui
