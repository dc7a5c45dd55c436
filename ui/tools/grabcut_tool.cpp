#include "ui/tools/grabcut_tool.h"

#include "core/annotation/mask_geometry.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/canvas/instance_overlay.h"
#include "ui/document/annotation_document.h"
#include "ui/tools/new_instance.h"

#include <QKeyEvent>
#include <QLineF>
#include <QPainter>
#include <QtConcurrent>

#include <cmath>

namespace samlabel::ui {
namespace {
}

GrabCutTool::GrabCutTool(QObject* parent) : PromptTool(parent) {
    connect(&watcher_, &QFutureWatcher<GrabCutResult>::finished, this, &GrabCutTool::onFinished);
}

GrabCutTool::~GrabCutTool() { watcher_.waitForFinished(); }

bool GrabCutTool::hasPendingWork() const { return box_ || !positive_.isEmpty() || !negative_.isEmpty(); }

GrabCutSeeds GrabCutTool::seeds() const {
    GrabCutSeeds s;
    auto px = [](QPointF p) { return cv::Point(int(std::floor(p.x())), int(std::floor(p.y()))); };
    if (box_) {
        const QRectF r = box_->normalized();
        s.box = cv::Rect(px(r.topLeft()), px(r.bottomRight()));
    }
    for (const QPointF& p : positive_) s.positive_points.push_back(px(p));
    for (const QPointF& p : negative_) s.negative_points.push_back(px(p));
    return s;
}

void GrabCutTool::mousePress(const ToolMouseEvent& event) {
    gesture_.press(event);
}

void GrabCutTool::mouseMove(const ToolMouseEvent& event) {
    if (gesture_.move(event)) emit overlayChanged();
}

void GrabCutTool::mouseRelease(const ToolMouseEvent& event) {
    if (!gesture_.pressed()) return;
    const std::optional<QRectF> dragged = gesture_.release(event);
    const QSize size = canvas_->imageSize();
    const QRectF image_rect(0, 0, size.width(), size.height());
    if (dragged) {
        box_ = dragged->intersected(image_rect);
        if (box_->width() < 4 || box_->height() < 4) box_.reset();
        else seed_order_.append('b');
    } else {
        if (!image_rect.contains(event.image_pos)) return;
        const bool negative = event.button == Qt::RightButton || (event.modifiers & Qt::ShiftModifier) ||
                              point_label_ == PointLabel::Negative;
        (negative ? negative_ : positive_).append(event.image_pos);
        seed_order_.append(negative ? 'n' : 'p');
    }
    emit overlayChanged();
    requestRun();
}

bool GrabCutTool::keyPress(QKeyEvent* event) {
    if (event->key() == Qt::Key_Backspace && hasPendingWork()) {
        // Removes the newest seed.
        const char last = seed_order_.isEmpty() ? 'b' : seed_order_.takeLast();
        if (last == 'p' && !positive_.isEmpty()) positive_.removeLast();
        else if (last == 'n' && !negative_.isEmpty()) negative_.removeLast();
        else box_.reset();
        emit overlayChanged();
        requestRun();
        return true;
    }
    return false;
}

void GrabCutTool::requestRun() {
    if (seeds().empty()) {
        preview_mask_.release();
        preview_image_ = QImage();
        preview_outline_ = QPainterPath();
        emit overlayChanged();
        return;
    }
    if (watcher_.isRunning()) {
        rerun_needed_ = true;  // GrabCut cannot be interrupted: run again with the newest seeds after this one
        return;
    }
    startRun();
}

void GrabCutTool::startRun() {
    rerun_needed_ = false;
    running_generation_ = generation_;
    // cv::Mat is reference counted: the worker keeps the image alive even if
    // the user switches images meanwhile.
    const cv::Mat image = canvas_->imageBgr8();
    const GrabCutSeeds s = seeds();
    emit statusMessage(tr("GrabCut running..."));
    emit overlayChanged();
    watcher_.setFuture(QtConcurrent::run([image, s] { return run_grabcut(image, s); }));
}

void GrabCutTool::onFinished() {
    const GrabCutResult result = watcher_.result();
    const bool stale = running_generation_ != generation_;
    if (!stale) {
        last_duration_ms_ = result.duration_ms;
        if (result.error.empty()) {
            preview_mask_ = result.mask;
            preview_image_ = QImage(preview_mask_.cols, preview_mask_.rows, QImage::Format_ARGB32);
            preview_image_.fill(Qt::transparent);
            for (int y = 0; y < preview_mask_.rows; ++y) {
                const uchar* m = preview_mask_.ptr<uchar>(y);
                auto* line = reinterpret_cast<QRgb*>(preview_image_.scanLine(y));
                for (int x = 0; x < preview_mask_.cols; ++x)
                    if (m[x]) line[x] = qRgba(0, 200, 255, 255);
            }
            preview_outline_ = InstanceOverlay::pathOf(annotation::mask_to_polygons(preview_mask_).polygons);
            emit statusMessage(tr("GrabCut: %1 ms. Enter or Space accepts, more points refine, Esc discards")
                                   .arg(qRound(result.duration_ms)));
        } else {
            emit statusMessage(tr("GrabCut: %1").arg(QString::fromStdString(result.error)));
        }
        emit overlayChanged();
    }
    if (rerun_needed_ && !stale) {
        startRun();
        return;
    }
    if (!stale) emit segmentationFinished(result.error.empty(), QString::fromStdString(result.error));
    if (accept_when_done_ && !stale) {
        accept_when_done_ = false;
        accept();
    }
}

bool GrabCutTool::accept() {
    if (watcher_.isRunning()) {
        accept_when_done_ = true;  // commit as soon as the newest result is in
        return true;
    }
    if (preview_mask_.empty()) return false;
    const cv::Mat1b mask = preview_mask_;
    box_.reset();
    positive_.clear();
    negative_.clear();
    seed_order_.clear();
    preview_mask_.release();
    preview_image_ = QImage();
    preview_outline_ = QPainterPath();
    emit overlayChanged();
    addMaskInstance(*document_, mask, annotation::InstanceSource::GrabCut);
    return true;
}

bool GrabCutTool::cancel() {
    const bool had = hasPendingWork() || !preview_mask_.empty();
    ++generation_;
    rerun_needed_ = false;
    accept_when_done_ = false;
    box_.reset();
    positive_.clear();
    negative_.clear();
    seed_order_.clear();
    gesture_.reset();
    preview_mask_.release();
    preview_image_ = QImage();
    preview_outline_ = QPainterPath();
    emit overlayChanged();
    return had;
}

void GrabCutTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    if (!preview_image_.isNull()) {
        painter.save();
        painter.setTransform(view.qtransform());
        painter.setOpacity(0.45);
        painter.drawImage(QPointF(0, 0), preview_image_);
        painter.restore();
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(QPen(QColor(0, 200, 255), 2.0));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(view.qtransform().map(preview_outline_));
    }
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setBrush(Qt::NoBrush);
    if (const std::optional<QRectF> dragged = gesture_.draggedBox()) {
        painter.setPen(QPen(QColor(0, 200, 255), 2.0, Qt::DashLine));
        painter.drawRect(view.toWidget(*dragged));
    } else if (box_) {
        painter.setPen(QPen(QColor(0, 200, 255), 1.5, Qt::DashLine));
        painter.drawRect(view.toWidget(*box_));
    }
    auto drawPoint = [&](QPointF p, QColor colour, bool positive) {
        const QPointF w = view.toWidget(p);
        painter.setPen(QPen(Qt::white, 2.0));
        painter.setBrush(colour);
        painter.drawEllipse(w, 6.0, 6.0);
        painter.setPen(QPen(Qt::white, 2.0));
        painter.drawLine(w - QPointF(3, 0), w + QPointF(3, 0));
        if (positive) painter.drawLine(w - QPointF(0, 3), w + QPointF(0, 3));
    };
    for (const QPointF& p : positive_) drawPoint(p, QColor(46, 160, 67), true);
    for (const QPointF& p : negative_) drawPoint(p, QColor(218, 54, 51), false);
    if (watcher_.isRunning()) {
        painter.setPen(Qt::white);
        painter.drawText(QPointF(12, 22), tr("GrabCut running..."));
    }
}

}  // namespace samlabel::ui
