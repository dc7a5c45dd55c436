#pragma once
// What the prompt tools (GrabCut, SAM) draw over the canvas, each in its own
// colour: the proposed mask before it is accepted (a translucent tint and its
// outline), the box prompt, and the point prompts.
#include "ui/canvas/view_transform.h"

#include <QColor>
#include <QImage>
#include <QPainterPath>
#include <QPointF>
#include <QRectF>

#include <opencv2/core.hpp>

#include <optional>

class QPainter;

namespace samlabel::ui {

class MaskPreview {
public:
    explicit MaskPreview(QColor colour) : colour_(colour) {}

    // `mask`: full image size, non-zero = inside. Kept as given (accept() adds it).
    void show(const cv::Mat1b& mask);
    void clear();
    bool empty() const { return mask_.empty(); }
    const cv::Mat1b& mask() const { return mask_; }

    void paint(QPainter& painter, const ViewTransform& view) const;

private:
    QColor colour_;
    cv::Mat1b mask_;
    QImage tint_;
    QPainterPath outline_;
};

// The box being dragged (`dragged`, dashed) or else the box prompt already set.
void paintPromptBox(QPainter& painter, const ViewTransform& view, const std::optional<QRectF>& dragged,
                    const std::optional<QRectF>& box, QColor colour);

// A point prompt: green with a plus (positive) or red with a minus (negative).
void paintPromptPoint(QPainter& painter, const ViewTransform& view, QPointF image_point, bool positive);

}  // namespace samlabel::ui
