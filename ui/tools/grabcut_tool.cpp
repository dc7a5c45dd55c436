#include "ui/tools/grabcut_tool.h"

#include "ui/canvas/canvas_widget.h"
#include "ui/document/annotation_document.h"
#include "ui/tools/new_instance.h"

#include <QKeyEvent>
#include <QLineF>
#include <QPainter>
#include <QtConcurrent>

#include <cmath>

namespace samlabel::ui {
namespace {
const QColor kPreviewColour(0, 200, 255);
}  // namespace

GrabCutTool::GrabCutTool(QObject* parent) : PromptTool(parent), preview_(kPreviewColour) {
    connect(&watcher_, &QFutureWatcher<annotation::GrabCutResult>::finished, this, &GrabCutTool::onFinished);
}

GrabCutTool::~GrabCutTool() { watcher_.waitForFinished(); }

bool GrabCutTool::hasPendingWork() const { return box_ || !positive_.isEmpty() || !negative_.isEmpty(); }

annotation::GrabCutSeeds GrabCutTool::seeds() const {
    annotation::GrabCutSeeds s;
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

void GrabCutTool::deactivate() {
    gesture_.reset();  // a drag in progress belongs to the tool being left
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
        preview_.clear();
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
    const annotation::GrabCutSeeds s = seeds();
    emit statusMessage(tr("GrabCut running..."));
    emit overlayChanged();
    watcher_.setFuture(QtConcurrent::run([image, s] { return annotation::run_grabcut(image, s); }));
}

void GrabCutTool::onFinished() {
    const annotation::GrabCutResult result = watcher_.result();
    const bool stale = running_generation_ != generation_;
    if (!stale) {
        last_duration_ms_ = result.duration_ms;
        if (result.error.empty()) {
            preview_.show(result.mask);
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
    if (preview_.empty()) return false;
    const cv::Mat1b mask = preview_.mask();
    box_.reset();
    positive_.clear();
    negative_.clear();
    seed_order_.clear();
    preview_.clear();
    emit overlayChanged();
    addMaskInstance(*document_, mask, annotation::InstanceSource::GrabCut);
    return true;
}

bool GrabCutTool::cancel() {
    const bool had = hasPendingWork() || !preview_.empty();
    ++generation_;
    rerun_needed_ = false;
    accept_when_done_ = false;
    box_.reset();
    positive_.clear();
    negative_.clear();
    seed_order_.clear();
    gesture_.reset();
    preview_.clear();
    emit overlayChanged();
    return had;
}

void GrabCutTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    preview_.paint(painter, view);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setBrush(Qt::NoBrush);
    paintPromptBox(painter, view, gesture_.draggedBox(), box_, kPreviewColour);
    for (const QPointF& p : positive_) paintPromptPoint(painter, view, p, true);
    for (const QPointF& p : negative_) paintPromptPoint(painter, view, p, false);
    if (watcher_.isRunning()) {
        painter.setPen(Qt::white);
        painter.drawText(QPointF(12, 22), tr("GrabCut running..."));
    }
}

}  // namespace samlabel::ui
