#pragma once
// Maps image pixels to widget pixels: widget = image * scale + offset.
// Image coordinates follow annotation::Point: (0,0) is the top-left corner of
// the top-left pixel, so pixel (i,j) covers [i,i+1) x [j,j+1).
#include <QPointF>
#include <QRectF>
#include <QTransform>

namespace samlabel::ui {

struct ViewTransform {
    double scale = 1.0;
    QPointF offset{0.0, 0.0};

    QPointF toWidget(QPointF image_point) const { return image_point * scale + offset; }
    QPointF toImage(QPointF widget_point) const { return (widget_point - offset) / scale; }
    QRectF toWidget(const QRectF& image_rect) const {
        return {toWidget(image_rect.topLeft()), toWidget(image_rect.bottomRight())};
    }
    QTransform qtransform() const { return QTransform(scale, 0, 0, scale, offset.x(), offset.y()); }

    // Zooms by `factor` keeping the image point under `widget_anchor` fixed.
    void zoomAround(QPointF widget_anchor, double factor) {
        const QPointF image_anchor = toImage(widget_anchor);
        scale *= factor;
        offset = widget_anchor - image_anchor * scale;
    }
};

}  // namespace samlabel::ui
