#include "ui/tools/brush_tool.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/document/annotation_document.h"
#include "ui/settings/app_settings.h"
#include "ui/tools/new_instance.h"

#include <QPainter>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace samlabel::ui {
namespace {
int g_size_px = -1;  // cached setting
}

int BrushTool::sizePx() {
    if (g_size_px < 0) g_size_px = AppSettings::brushSizePx();
    return g_size_px;
}

void BrushTool::setSizePx(int size_px) {
    g_size_px = std::clamp(size_px, 1, 500);
    AppSettings::setBrushSizePx(g_size_px);
}

BrushTool::BrushTool(Mode mode, QObject* parent) : Tool(parent), mode_(mode) {}

QString BrushTool::help() const {
    return mode_ == Mode::Paint ? tr("Brush: paint into the selected instance (or a new one); [ and ] change the size")
                                : tr("Eraser: erase from the selected instance (or the one under the cursor); [ and ] change the size");
}

void BrushTool::mousePress(const ToolMouseEvent& event) {
    if (event.button != Qt::LeftButton) return;
    const auto* image = document_->currentAnnotations();
    if (!image) return;
    const cv::Size size(canvas_->imageSize().width(), canvas_->imageSize().height());
    target_ = document_->selectedInstance();
    if (mode_ == Mode::Erase && target_ == 0) {
        if (auto hit = annotation::topmost_instance_at(*image, {event.image_pos.x(), event.image_pos.y()})) target_ = *hit;
        if (target_ == 0) {
            emit statusMessage(tr("Eraser: select an instance or start on one"));
            return;
        }
    }
    const annotation::Instance* instance = target_ ? document_->project().find_instance(document_->currentPath(), target_) : nullptr;
    if (target_ != 0 && !instance) target_ = 0;
    mask_ = instance ? cv::Mat1b(annotation::instance_mask(*instance, size)) : cv::Mat1b(size, uchar(0));
    stroking_ = true;
    stroke_ = QPainterPath(event.image_pos);
    last_ = event.image_pos;
    paintSegment(event.image_pos, event.image_pos);
    emit overlayChanged();
}

void BrushTool::paintSegment(QPointF from, QPointF to) {
    // Image coordinates are pixel corners; OpenCV draws on pixel centres.
    const cv::Point a(int(std::floor(from.x())), int(std::floor(from.y())));
    const cv::Point b(int(std::floor(to.x())), int(std::floor(to.y())));
    const int radius = std::max(0, sizePx() / 2);
    const uchar value = mode_ == Mode::Paint ? 255 : 0;
    cv::line(mask_, a, b, value, std::max(1, 2 * radius + 1), cv::LINE_8);
    cv::circle(mask_, b, radius, value, cv::FILLED, cv::LINE_8);
}

void BrushTool::mouseMove(const ToolMouseEvent& event) {
    cursor_widget_ = event.widget_pos;
    cursor_inside_ = true;
    if (stroking_) {
        paintSegment(last_, event.image_pos);
        stroke_.lineTo(event.image_pos);
        last_ = event.image_pos;
    }
    emit overlayChanged();
}

void BrushTool::mouseRelease(const ToolMouseEvent& event) {
    if (!stroking_ || event.button != Qt::LeftButton) return;
    finishStroke();
}

void BrushTool::finishStroke() {
    stroking_ = false;
    stroke_ = QPainterPath();
    emit overlayChanged();
    const std::string path = document_->currentPath();
    if (target_ == 0) {
        addMaskInstance(*document_, mask_, annotation::InstanceSource::Manual);
    } else if (cv::countNonZero(mask_) == 0) {
        document_->apply(std::make_unique<annotation::RemoveInstance>(path, target_));
    } else {
        auto polygons = annotation::mask_to_polygons(mask_).polygons;
        document_->apply(std::make_unique<annotation::ReplaceInstanceGeometry>(
            path, target_, std::move(polygons), annotation::encode_rle(mask_),
            mode_ == Mode::Paint ? "Brush stroke" : "Erase stroke"));
    }
    mask_.release();
}

bool BrushTool::cancel() {
    if (!stroking_) return false;
    stroking_ = false;
    stroke_ = QPainterPath();
    mask_.release();
    emit overlayChanged();
    return true;
}

void BrushTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    const double radius_widget = std::max(1.0, sizePx() * view.scale / 2.0);
    painter.setRenderHint(QPainter::Antialiasing, true);
    if (stroking_) {
        const QColor colour = mode_ == Mode::Paint ? QColor(255, 235, 59, 120) : QColor(0, 0, 0, 120);
        painter.setPen(QPen(colour, 2 * radius_widget, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(view.qtransform().map(stroke_));
    }
    if (cursor_inside_) {
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(Qt::black, 3.0));
        painter.drawEllipse(cursor_widget_, radius_widget, radius_widget);
        painter.setPen(QPen(mode_ == Mode::Paint ? QColor(255, 235, 59) : Qt::white, 1.5));
        painter.drawEllipse(cursor_widget_, radius_widget, radius_widget);
    }
}

}  // namespace samlabel::ui
