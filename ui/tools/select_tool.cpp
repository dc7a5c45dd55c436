#include "ui/tools/select_tool.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/mask_geometry.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/document/annotation_document.h"

#include <QLineF>
#include <QPainter>

#include <algorithm>

namespace samlabel::ui {
namespace {
constexpr double kGrabDistancePx = 7.0;

// The ring a vertex reference points at, or null when the shape changed
// under it (an undo during a drag).
std::vector<annotation::Point>* ringOf(std::vector<annotation::PolygonWithHoles>& polygons, std::size_t polygon, int ring) {
    if (polygon >= polygons.size()) return nullptr;
    if (ring < 0) return &polygons[polygon].outer;
    if (std::size_t(ring) >= polygons[polygon].holes.size()) return nullptr;
    return &polygons[polygon].holes[std::size_t(ring)];
}
}  // namespace

std::optional<SelectTool::VertexRef> SelectTool::vertexAt(QPointF widget_pos) const {
    const auto selected = document_->selectedInstance();
    if (selected == 0) return std::nullopt;
    const auto* instance = document_->project().find_instance(document_->currentPath(), selected);
    if (!instance) return std::nullopt;
    std::optional<VertexRef> best;
    double best_distance = kGrabDistancePx;
    for (std::size_t p = 0; p < instance->polygons.size(); ++p) {
        const auto& polygon = instance->polygons[p];
        for (int ring = -1; ring < int(polygon.holes.size()); ++ring) {
            const auto& points = ring < 0 ? polygon.outer : polygon.holes[std::size_t(ring)];
            for (std::size_t v = 0; v < points.size(); ++v) {
                const double d = QLineF(canvas_->toWidget({points[v].x, points[v].y}), widget_pos).length();
                if (d <= best_distance) {
                    best_distance = d;
                    best = VertexRef{p, ring, v};
                }
            }
        }
    }
    return best;
}

void SelectTool::mousePress(const ToolMouseEvent& event) {
    if (event.button != Qt::LeftButton) return;
    if (auto vertex = vertexAt(event.widget_pos)) {
        if (event.modifiers & Qt::AltModifier) {
            removeVertex(*vertex);
            return;
        }
        drag_ = Drag{*vertex, document_->newMergeKey(), false};
        return;
    }
    const auto* image = document_->currentAnnotations();
    std::uint64_t hit = 0;
    if (image) {
        if (auto id = annotation::topmost_instance_at(*image, {event.image_pos.x(), event.image_pos.y()})) hit = *id;
    }
    document_->setSelectedInstance(hit);
    emit overlayChanged();
}

void SelectTool::mouseMove(const ToolMouseEvent& event) {
    if (drag_) {
        drag_->moved = true;
        moveVertex(drag_->vertex, event.image_pos, drag_->merge_key);
        return;
    }
    const auto vertex = vertexAt(event.widget_pos);
    const bool changed = vertex.has_value() != hovered_vertex_.has_value() ||
                         (vertex && (vertex->polygon != hovered_vertex_->polygon || vertex->ring != hovered_vertex_->ring ||
                                     vertex->vertex != hovered_vertex_->vertex));
    hovered_vertex_ = vertex;
    if (changed) {
        canvas_->setCursor(vertex ? Qt::SizeAllCursor : Qt::ArrowCursor);
        emit overlayChanged();
    }
}

void SelectTool::mouseRelease(const ToolMouseEvent& event) {
    if (event.button == Qt::LeftButton) drag_.reset();
}

bool SelectTool::cancel() {
    if (drag_) {
        drag_.reset();
        return true;
    }
    if (document_->selectedInstance() != 0) {
        document_->setSelectedInstance(0);
        return true;
    }
    return false;
}

void SelectTool::moveVertex(const VertexRef& ref, QPointF image_pos, std::uint64_t merge_key) {
    const auto* instance = document_->project().find_instance(document_->currentPath(), document_->selectedInstance());
    if (!instance) return;
    const QSize size = canvas_->imageSize();
    auto polygons = instance->polygons;
    auto* ring = ringOf(polygons, ref.polygon, ref.ring);
    if (!ring || ref.vertex >= ring->size()) {
        drag_.reset();
        return;
    }
    (*ring)[ref.vertex] = {std::clamp(image_pos.x(), 0.0, double(size.width())), std::clamp(image_pos.y(), 0.0, double(size.height()))};
    // The outline is now the truth: the old mask no longer matches it.
    document_->apply(std::make_unique<annotation::ReplaceInstanceGeometry>(document_->currentPath(), instance->id,
                                                                             std::move(polygons), std::nullopt, "Move vertex"),
                     merge_key);
}

void SelectTool::removeVertex(const VertexRef& ref) {
    const auto* instance = document_->project().find_instance(document_->currentPath(), document_->selectedInstance());
    if (!instance) return;
    auto polygons = instance->polygons;
    auto* ring = ringOf(polygons, ref.polygon, ref.ring);
    if (!ring || ref.vertex >= ring->size()) return;
    if (ring->size() <= 3) {
        emit statusMessage(tr("A ring needs at least 3 vertices"));
        return;
    }
    ring->erase(ring->begin() + std::ptrdiff_t(ref.vertex));
    hovered_vertex_.reset();
    document_->apply(std::make_unique<annotation::ReplaceInstanceGeometry>(document_->currentPath(), instance->id,
                                                                             std::move(polygons), std::nullopt, "Delete vertex"));
}

void SelectTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    const auto selected = document_->selectedInstance();
    if (selected == 0) return;
    const auto* instance = document_->project().find_instance(document_->currentPath(), selected);
    if (!instance) return;
    painter.setRenderHint(QPainter::Antialiasing, false);
    for (std::size_t p = 0; p < instance->polygons.size(); ++p) {
        const auto& polygon = instance->polygons[p];
        for (int ring = -1; ring < int(polygon.holes.size()); ++ring) {
            const auto& points = ring < 0 ? polygon.outer : polygon.holes[std::size_t(ring)];
            for (std::size_t v = 0; v < points.size(); ++v) {
                const QPointF w = view.toWidget({points[v].x, points[v].y});
                const bool hot = hovered_vertex_ && hovered_vertex_->polygon == p && hovered_vertex_->ring == ring &&
                                 hovered_vertex_->vertex == v;
                const double r = hot ? 5.0 : 3.5;
                painter.setPen(QPen(Qt::black, 1.0));
                painter.setBrush(hot ? QColor(255, 235, 59) : Qt::white);
                painter.drawRect(QRectF(w.x() - r, w.y() - r, 2 * r, 2 * r));
            }
        }
    }
}

}  // namespace samlabel::ui
