#include "ui/find/find_tool.h"

#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/canvas/instance_overlay.h"
#include "ui/find/find_session.h"
#include "ui/tools/prompt_overlay.h"

#include <QKeyEvent>
#include <QPainter>

namespace samlabel::ui {
namespace {

const QColor kPositive(46, 160, 67);
const QColor kNegative(218, 54, 51);

QColor candidateColour(int rank) {
    static const QColor palette[] = {QColor(0, 200, 255), QColor(255, 0, 200), QColor(255, 200, 0), QColor(120, 255, 80),
                                     QColor(255, 120, 40), QColor(160, 120, 255)};
    return palette[rank % int(std::size(palette))];
}

}  // namespace

FindTool::FindTool(FindSession* session, QObject* parent) : Tool(parent), session_(session) {
    connect(session, &FindSession::candidatesChanged, this, [this] {
        if (session_ && session_->candidates().empty()) drawn_.clear();
        selected_.intersect(QSet<int>(session_->visible().begin(), session_->visible().end()));
        Q_EMIT overlayChanged();
    });
    connect(session, &FindSession::finished, this, [this] {
        drawn_.clear();
        selected_.clear();
        Q_EMIT overlayChanged();
    });
}

void FindTool::setNegativeBoxes(bool negative) {
    negative_ = negative;
    Q_EMIT overlayChanged();
}

void FindTool::clearBoxes() {
    if (boxes_.empty()) return;
    boxes_.clear();
    Q_EMIT boxesChanged(0);
    Q_EMIT overlayChanged();
}

void FindTool::setSelected(const QSet<int>& candidates) {
    selected_ = candidates;
    Q_EMIT overlayChanged();
}

void FindTool::mousePress(const ToolMouseEvent& event) {
    shift_drag_ = event.modifiers & Qt::ShiftModifier;
    gesture_.press(event);
}

void FindTool::mouseMove(const ToolMouseEvent& event) {
    if (gesture_.move(event)) Q_EMIT overlayChanged();
}

void FindTool::mouseRelease(const ToolMouseEvent& event) {
    if (!gesture_.pressed() || !canvas_ || !canvas_->hasImage()) return;
    const std::optional<QRectF> dragged = gesture_.release(event);
    if (dragged) {
        const QSize size = canvas_->imageSize();
        const QRectF box = dragged->intersected(QRectF(0, 0, size.width(), size.height()));
        if (box.width() >= 2 && box.height() >= 2) {
            boxes_.push_back({float(box.left()), float(box.top()), float(box.right()), float(box.bottom()), !(negative_ || shift_drag_)});
            Q_EMIT boxesChanged(int(boxes_.size()));
        }
        Q_EMIT overlayChanged();
        return;
    }
    if (event.button != Qt::LeftButton || !session_) return;
    // A click: the topmost (best scoring last drawn) visible candidate under it.
    const auto& visible = session_->visible();
    for (auto it = visible.rbegin(); it != visible.rend(); ++it) {
        const FindCandidate& c = session_->candidates()[std::size_t(*it)];
        if (annotation::rle_contains(c.mask, int(event.image_pos.x()), int(event.image_pos.y()))) {
            Q_EMIT candidateClicked(*it, event.modifiers & Qt::ControlModifier);
            return;
        }
    }
}

bool FindTool::keyPress(QKeyEvent* event) {
    if (event->key() == Qt::Key_Backspace && !boxes_.empty()) {
        boxes_.pop_back();
        Q_EMIT boxesChanged(int(boxes_.size()));
        Q_EMIT overlayChanged();
        return true;
    }
    return false;
}

bool FindTool::cancel() {
    gesture_.reset();
    if (boxes_.empty()) return false;
    clearBoxes();
    return true;
}

const FindTool::Drawn& FindTool::drawnOf(int candidate) const {
    auto it = drawn_.find(candidate);
    if (it != drawn_.end()) return it->second;
    const FindCandidate& c = session_->candidates()[std::size_t(candidate)];
    Drawn d;
    const cv::Rect roi = annotation::rle_bbox(c.mask);
    const cv::Mat full = annotation::decode_rle(c.mask);
    d.origin = QPoint(roi.x, roi.y);
    d.tint = QImage(roi.width, roi.height, QImage::Format_ARGB32);
    d.tint.fill(Qt::transparent);
    for (int y = 0; y < roi.height; ++y) {
        const uchar* m = full.ptr<uchar>(roi.y + y) + roi.x;
        auto* line = reinterpret_cast<QRgb*>(d.tint.scanLine(y));
        for (int x = 0; x < roi.width; ++x)
            if (m[x]) line[x] = 0xffffffff;  // recoloured when painted
    }
    d.outline = InstanceOverlay::pathOf(annotation::rle_to_polygons(c.mask, {.tolerance_px = 0.5, .min_area_px = 1}).polygons);
    return drawn_.emplace(candidate, std::move(d)).first->second;
}

void FindTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    if (session_) {
        const auto& visible = session_->visible();
        // Lowest score first, so the best ones end on top.
        for (int rank = int(visible.size()) - 1; rank >= 0; --rank) {
            const int index = visible[std::size_t(rank)];
            const FindCandidate& c = session_->candidates()[std::size_t(index)];
            const Drawn& d = drawnOf(index);
            const bool selected = selected_.contains(index);
            const QColor colour = candidateColour(rank);
            painter.save();
            painter.setTransform(view.qtransform());
            painter.setOpacity(selected ? 0.6 : 0.35);
            QImage tinted = d.tint;
            QPainter recolour(&tinted);
            recolour.setCompositionMode(QPainter::CompositionMode_SourceIn);
            recolour.fillRect(tinted.rect(), colour);
            recolour.end();
            painter.drawImage(d.origin, tinted);
            painter.restore();
            painter.setRenderHint(QPainter::Antialiasing, true);
            painter.setBrush(Qt::NoBrush);
            painter.setPen(QPen(selected ? Qt::white : colour, selected ? 3.0 : 1.5));
            painter.drawPath(view.qtransform().map(d.outline));
            const QPointF label = view.toWidget(c.box.topLeft());
            const QString text = QString::number(c.score, 'f', 2);
            const QRectF plate(label + QPointF(0, -16), QSizeF(painter.fontMetrics().horizontalAdvance(text) + 8, 16));
            painter.fillRect(plate, selected ? QColor(255, 255, 255, 230) : QColor(colour.red(), colour.green(), colour.blue(), 220));
            painter.setPen(Qt::black);
            painter.drawText(plate, Qt::AlignCenter, text);
        }
    }
    for (const engine::ExemplarBox& b : boxes_) {
        const QColor colour = b.positive ? kPositive : kNegative;
        painter.setPen(QPen(colour, 2.0));
        painter.setBrush(Qt::NoBrush);
        const QRectF r = view.toWidget(QRectF(QPointF(b.x0, b.y0), QPointF(b.x1, b.y1)));
        painter.drawRect(r);
        painter.fillRect(QRectF(r.topLeft(), QSizeF(14, 14)), colour);
        painter.setPen(Qt::white);
        painter.drawText(QRectF(r.topLeft(), QSizeF(14, 14)), Qt::AlignCenter, b.positive ? QStringLiteral("+") : QStringLiteral("-"));
    }
    if (const auto dragged = gesture_.draggedBox())
        paintPromptBox(painter, view, dragged, std::nullopt, (negative_ || shift_drag_) ? kNegative : kPositive);
}

}  // namespace samlabel::ui
