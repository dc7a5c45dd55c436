#include "ui/canvas/canvas_widget.h"

#include "core/annotation/mask_geometry.h"
#include "core/io/image_reader.h"
#include "ui/document/annotation_document.h"
#include "ui/settings/app_settings.h"
#include "ui/tools/tool.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>
#include <QtConcurrent>

#include <algorithm>
#include <cmath>

namespace samlabel::ui {
namespace {
constexpr double kMinScale = 0.01;
constexpr double kMaxScale = 64.0;

QColor colourOf(std::uint32_t rgb) { return QColor::fromRgb((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff); }
}  // namespace

CanvasWidget::CanvasWidget(AnnotationDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
    setObjectName("canvas");
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(320, 240);
    opacity_ = AppSettings::maskOpacity();
    connect(document_, &AnnotationDocument::currentImageChanged, this, &CanvasWidget::reloadImage);
    connect(document_, &AnnotationDocument::closed, this, &CanvasWidget::reloadImage);
    connect(document_, &AnnotationDocument::annotationsChanged, this, [this](int index) {
        if (index == document_->currentIndex() || index < 0) refreshAnnotations();
    });
    connect(document_, &AnnotationDocument::classesChanged, this, &CanvasWidget::refreshAnnotations);
    connect(document_, &AnnotationDocument::selectionChanged, this, qOverload<>(&QWidget::update));
    connect(&loader_, &QFutureWatcher<LoadedImage>::finished, this, [this] {
        const int index = loading_index_;
        if (index < 0 || index != document_->currentIndex()) return;  // superseded
        loading_index_ = -1;
        applyLoaded(index, loader_.result());
    });
}

void CanvasWidget::setTool(Tool* tool) {
    if (tool_ == tool) return;
    if (tool_) {
        tool_->deactivate();
        disconnect(tool_, nullptr, this, nullptr);
    }
    tool_ = tool;
    if (tool_) {
        connect(tool_, &Tool::overlayChanged, this, qOverload<>(&QWidget::update));
        tool_->activate();
        setCursor(tool_->cursor());
    }
    update();
}

namespace {

LoadedImage readForCanvas(const std::filesystem::path& path, std::uint64_t max_pixels) {
    io::ImageReadOptions options;
    options.max_pixels = max_pixels;
    io::ImageReadResult read = io::read_image(path, options);
    LoadedImage loaded;
    if (!read.ok()) loaded.error = QString::fromStdString(read.error);
    else if (read.bgr8.type() != CV_8UC3) loaded.error = QObject::tr("%1: unexpected decoded format").arg(QString::fromStdString(io::path_to_utf8(path)));
    else {
        loaded.bgr8 = read.bgr8;
        loaded.width = read.width;
        loaded.height = read.height;
    }
    return loaded;
}

}  // namespace

void CanvasWidget::reloadImage() {
    if (tool_) tool_->imageChanged();
    image_bgr8_.release();
    display_ = QImage();
    image_error_.clear();
    hovered_ = 0;
    loading_index_ = -1;  // a load still running for another image is ignored when it ends
    const int index = document_->currentIndex();
    if (index >= 0) {
        const auto path = document_->filesystemPath(index);
        const auto limit = std::uint64_t(AppSettings::pixelLimit());
        const auto header = io::read_image_header(path);
        if (header && header->pixel_count() > kSyncDecodePixels && header->pixel_count() <= limit) {
            loading_index_ = index;
            // A decode still running for an earlier image finishes unobserved.
            loader_.setFuture(QtConcurrent::run([path, limit] { return readForCanvas(path, limit); }));
            overlay_.clear();
            update();
            return;
        }
        applyLoaded(index, readForCanvas(path, limit));
        return;
    }
    refreshAnnotations();
    fitToWindow();
    emit imageLoaded(false, {});
}

void CanvasWidget::applyLoaded(int index, const LoadedImage& loaded) {
    if (loaded.error.isEmpty()) {
        image_bgr8_ = loaded.bgr8;
        // QImage shares the cv::Mat's buffer; image_bgr8_ keeps it alive.
        display_ = QImage(image_bgr8_.data, image_bgr8_.cols, image_bgr8_.rows, int(image_bgr8_.step), QImage::Format_BGR888);
        document_->recordImageSize(index, loaded.width, loaded.height);
    } else {
        image_error_ = loaded.error;
    }
    refreshAnnotations();
    fitted_ = true;
    fitToWindow();
    emit imageLoaded(image_error_.isEmpty() && hasImage(), image_error_);
}

void CanvasWidget::refreshAnnotations() {
    const auto* image = document_->currentAnnotations();
    if (image && hasImage()) {
        overlay_.rebuild(*image, display_.size(), [this](annotation::ClassId id) { return document_->classColour(id); });
    } else {
        overlay_.clear();
    }
    update();
}

void CanvasWidget::fitToWindow() {
    fitted_ = true;
    if (!hasImage()) {
        view_ = {};
        update();
        return;
    }
    const double margin = 8.0;
    const double sx = (width() - 2 * margin) / display_.width();
    const double sy = (height() - 2 * margin) / display_.height();
    view_.scale = std::clamp(std::min(sx, sy), kMinScale, kMaxScale);
    view_.offset = QPointF((width() - display_.width() * view_.scale) / 2, (height() - display_.height() * view_.scale) / 2);
    emit zoomChanged(view_.scale);
    update();
}

void CanvasWidget::actualSize() {
    fitted_ = false;
    const QPointF centre(width() / 2.0, height() / 2.0);
    view_.zoomAround(centre, 1.0 / view_.scale);
    emit zoomChanged(view_.scale);
    update();
}

void CanvasWidget::zoomBy(double factor) {
    const QPointF centre(width() / 2.0, height() / 2.0);
    const double target = std::clamp(view_.scale * factor, kMinScale, kMaxScale);
    fitted_ = false;
    view_.zoomAround(centre, target / view_.scale);
    emit zoomChanged(view_.scale);
    update();
}

void CanvasWidget::setMaskOpacity(double opacity) {
    opacity_ = std::clamp(opacity, 0.0, 1.0);
    update();
}

void CanvasWidget::paintChecker(QPainter& painter, const QRectF& rect) {
    painter.fillRect(rect, QColor(48, 48, 52));
}

void CanvasWidget::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(38, 38, 42));
    if (!hasImage()) {
        painter.setPen(image_error_.isEmpty() ? QColor(170, 170, 170) : QColor(255, 120, 110));
        QFont font = painter.font();
        font.setPointSizeF(font.pointSizeF() * 1.2);
        painter.setFont(font);
        QString text;
        if (!image_error_.isEmpty()) text = tr("This image cannot be shown:\n%1").arg(image_error_);
        else if (!document_->isOpen()) text = tr("Open a folder of images (Ctrl+O)");
        else if (document_->imageCount() == 0) text = tr("No images in this folder");
        else if (isLoading()) text = tr("Loading %1 ...").arg(document_->displayName(loading_index_));
        painter.drawText(rect().adjusted(40, 40, -40, -40), Qt::AlignCenter | Qt::TextWordWrap, text);
        return;
    }
    const QRectF image_rect = view_.toWidget(QRectF(QPointF(0, 0), QSizeF(display_.size())));
    paintChecker(painter, image_rect);
    painter.save();
    painter.setTransform(view_.qtransform());
    // Smooth when zoomed out; crisp pixels when zoomed in, so annotators see them.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, view_.scale < 2.0);
    painter.drawImage(QPointF(0, 0), display_);
    if (!overlay_.fill().isNull() && opacity_ > 0) {
        painter.setOpacity(opacity_);
        painter.drawImage(QPointF(0, 0), overlay_.fill());
        painter.setOpacity(1.0);
    }
    painter.restore();

    // Outlines in widget space (cosmetic width regardless of zoom).
    painter.setRenderHint(QPainter::Antialiasing, true);
    const QTransform to_widget = view_.qtransform();
    const std::uint64_t selected = document_->selectedInstance();
    if (const auto* image = document_->currentAnnotations()) {
        for (const auto& instance : image->instances) {
            const QPainterPath path = to_widget.map(overlay_.outline(instance.id));
            const QColor colour = colourOf(document_->classColour(instance.class_id));
            if (instance.id == hovered_ || instance.id == selected) {
                QColor fill = colour;
                fill.setAlpha(instance.id == selected ? 90 : 60);
                painter.fillPath(path, fill);
            }
            if (instance.id == selected) {
                painter.setPen(QPen(Qt::white, 3.0));
                painter.drawPath(path);
                painter.setPen(QPen(colour.darker(150), 1.5, Qt::DashLine));
                painter.drawPath(path);
            } else {
                painter.setPen(QPen(instance.id == hovered_ ? colour.lighter(150) : colour, instance.id == hovered_ ? 3.0 : 1.5));
                painter.drawPath(path);
            }
        }
    }
    if (tool_) tool_->paintOverlay(painter, view_);
}

void CanvasWidget::resizeEvent(QResizeEvent*) {
    if (fitted_) fitToWindow();
}

void CanvasWidget::wheelEvent(QWheelEvent* event) {
    if (!hasImage()) return;
    // Smooth zoom: proportional to the wheel angle (trackpads send small steps).
    const double steps = event->angleDelta().y() / 120.0;
    const double target = std::clamp(view_.scale * std::pow(1.25, steps), kMinScale, kMaxScale);
    fitted_ = false;
    view_.zoomAround(event->position(), target / view_.scale);
    emit zoomChanged(view_.scale);
    update();
    event->accept();
}

ToolMouseEvent CanvasWidget::toolEvent(const QMouseEvent* event) const {
    ToolMouseEvent e;
    e.widget_pos = event->position();
    e.image_pos = view_.toImage(event->position());
    e.button = event->button();
    e.buttons = event->buttons();
    e.modifiers = event->modifiers();
    return e;
}

void CanvasWidget::mousePressEvent(QMouseEvent* event) {
    setFocus(Qt::MouseFocusReason);
    if (event->button() == Qt::MiddleButton || (space_held_ && event->button() == Qt::LeftButton)) {
        panning_ = true;
        space_panned_ = space_held_;
        pan_last_ = event->position();
        setCursor(Qt::ClosedHandCursor);
        return;
    }
    if (tool_ && hasImage()) tool_->mousePress(toolEvent(event));
}

void CanvasWidget::mouseMoveEvent(QMouseEvent* event) {
    if (panning_) {
        view_.offset += event->position() - pan_last_;
        pan_last_ = event->position();
        fitted_ = false;
        update();
        return;
    }
    const QPointF image_pos = view_.toImage(event->position());
    emit cursorMoved(image_pos);
    updateHover(image_pos);
    if (tool_ && hasImage()) tool_->mouseMove(toolEvent(event));
}

void CanvasWidget::mouseReleaseEvent(QMouseEvent* event) {
    if (panning_ && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
        panning_ = false;
        setCursor(space_held_ ? QCursor(Qt::OpenHandCursor) : (tool_ ? tool_->cursor() : QCursor()));
        return;
    }
    if (tool_ && hasImage()) tool_->mouseRelease(toolEvent(event));
}

void CanvasWidget::mouseDoubleClickEvent(QMouseEvent* event) {
    if (tool_ && hasImage()) tool_->mouseDoubleClick(toolEvent(event));
}

void CanvasWidget::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space) {
        if (!event->isAutoRepeat()) {
            space_held_ = true;
            space_panned_ = false;
            setCursor(Qt::OpenHandCursor);
        }
        event->accept();
        return;
    }
    if (tool_ && tool_->keyPress(event)) {
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

void CanvasWidget::keyReleaseEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        space_held_ = false;
        setCursor(tool_ ? tool_->cursor() : QCursor());
        // A tap of Space (no drag) accepts, like Enter.
        if (!space_panned_ && !panning_) emit spaceAccept();
        event->accept();
        return;
    }
    QWidget::keyReleaseEvent(event);
}

void CanvasWidget::leaveEvent(QEvent*) {
    if (hovered_ != 0) {
        hovered_ = 0;
        emit hoveredInstanceChanged(0);
        update();
    }
}

void CanvasWidget::updateHover(QPointF image_pos) {
    std::uint64_t hovered = 0;
    if (const auto* image = document_->currentAnnotations()) {
        if (auto hit = annotation::topmost_instance_at(*image, {image_pos.x(), image_pos.y()})) hovered = *hit;
    }
    if (hovered != hovered_) {
        hovered_ = hovered;
        emit hoveredInstanceChanged(hovered);
        update();
    }
}

}  // namespace samlabel::ui
