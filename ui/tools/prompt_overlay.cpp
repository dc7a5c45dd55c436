#include "ui/tools/prompt_overlay.h"

#include "core/annotation/mask_geometry.h"
#include "ui/canvas/instance_overlay.h"

#include <QPainter>

namespace samlabel::ui {

void MaskPreview::show(const cv::Mat1b& mask) {
    mask_ = mask;
    tint_ = QImage(mask_.cols, mask_.rows, QImage::Format_ARGB32);
    tint_.fill(Qt::transparent);
    const QRgb on = colour_.rgba();
    for (int y = 0; y < mask_.rows; ++y) {
        const uchar* m = mask_.ptr<uchar>(y);
        auto* line = reinterpret_cast<QRgb*>(tint_.scanLine(y));
        for (int x = 0; x < mask_.cols; ++x)
            if (m[x]) line[x] = on;
    }
    outline_ = InstanceOverlay::pathOf(annotation::mask_to_polygons(mask_).polygons);
}

void MaskPreview::clear() {
    mask_.release();
    tint_ = QImage();
    outline_ = QPainterPath();
}

void MaskPreview::paint(QPainter& painter, const ViewTransform& view) const {
    if (tint_.isNull()) return;
    painter.save();
    painter.setTransform(view.qtransform());
    painter.setOpacity(0.45);
    painter.drawImage(QPointF(0, 0), tint_);
    painter.restore();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setPen(QPen(colour_, 2.0));
    painter.setBrush(Qt::NoBrush);
    painter.drawPath(view.qtransform().map(outline_));
}

void paintPromptBox(QPainter& painter, const ViewTransform& view, const std::optional<QRectF>& dragged,
                    const std::optional<QRectF>& box, QColor colour) {
    if (dragged) {
        painter.setPen(QPen(colour, 2.0, Qt::DashLine));
        painter.drawRect(view.toWidget(*dragged));
    } else if (box) {
        painter.setPen(QPen(colour, 1.5, Qt::DashLine));
        painter.drawRect(view.toWidget(*box));
    }
}

void paintPromptPoint(QPainter& painter, const ViewTransform& view, QPointF image_point, bool positive) {
    const QPointF w = view.toWidget(image_point);
    painter.setPen(QPen(Qt::white, 2.0));
    painter.setBrush(positive ? QColor(46, 160, 67) : QColor(218, 54, 51));
    painter.drawEllipse(w, 6.0, 6.0);
    painter.drawLine(w - QPointF(3, 0), w + QPointF(3, 0));
    if (positive) painter.drawLine(w - QPointF(0, 3), w + QPointF(0, 3));
}

}  // namespace samlabel::ui
