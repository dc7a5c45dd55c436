#pragma once
// The image canvas: shows the current image (EXIF-corrected, read through
// core/io so gray/16-bit/alpha display correctly and corrupt or over-limit
// files show their error instead of crashing), the instances as filled
// class-coloured masks with outlines, and the active tool's overlay.
// Wheel zooms around the cursor; middle drag or Space+drag pans.
#include "ui/canvas/instance_overlay.h"
#include "ui/canvas/view_transform.h"

#include <QFutureWatcher>
#include <QImage>
#include <QPointer>
#include <QWidget>

#include <opencv2/core.hpp>

#include <cstdint>

namespace samlabel::ui {

// One decoded image as the canvas needs it (from core/io's reader).
struct LoadedImage {
    cv::Mat bgr8;
    int width = 0;
    int height = 0;
    QString error;
};

class AnnotationDocument;
class Tool;
struct ToolMouseEvent;

class CanvasWidget : public QWidget {
    Q_OBJECT
public:
    explicit CanvasWidget(AnnotationDocument* document, QWidget* parent = nullptr);

    void setTool(Tool* tool);
    Tool* tool() const { return tool_; }

    // The current image, 8-bit BGR as core/io decoded it (empty on error).
    const cv::Mat& imageBgr8() const { return image_bgr8_; }
    QSize imageSize() const { return display_.size(); }
    bool hasImage() const { return !display_.isNull(); }
    QString imageError() const { return image_error_; }
    // Large images (above kSyncDecodePixels) decode on a worker thread; the
    // canvas shows "Loading" meanwhile and the UI stays responsive.
    bool isLoading() const { return loading_index_ >= 0; }
    static constexpr std::uint64_t kSyncDecodePixels = 6'000'000;

    const ViewTransform& view() const { return view_; }
    double zoom() const { return view_.scale; }
    void fitToWindow();
    void actualSize();  // 1 image pixel = 1 screen pixel
    void zoomBy(double factor);

    double maskOpacity() const { return opacity_; }
    void setMaskOpacity(double opacity);
    std::uint64_t hoveredInstance() const { return hovered_; }
    const InstanceOverlay& overlay() const { return overlay_; }

    // Widget <-> image coordinates (for tools and tests).
    QPointF toImage(QPointF widget_point) const { return view_.toImage(widget_point); }
    QPointF toWidget(QPointF image_point) const { return view_.toWidget(image_point); }

public slots:
    void reloadImage();        // re-reads the current image from disk
    void refreshAnnotations(); // rebuilds the overlay from the document

signals:
    void zoomChanged(double scale);
    void hoveredInstanceChanged(std::uint64_t instance_id);
    void cursorMoved(QPointF image_pos);
    void imageLoaded(bool ok, const QString& error);
    void spaceAccept();  // Space pressed and released without panning

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void applyLoaded(int index, const LoadedImage& loaded);
    ToolMouseEvent toolEvent(const QMouseEvent* event) const;
    void updateHover(QPointF image_pos);
    void paintChecker(QPainter& painter, const QRectF& rect);

    AnnotationDocument* document_;
    QPointer<Tool> tool_;
    QFutureWatcher<LoadedImage> loader_;
    int loading_index_ = -1;
    cv::Mat image_bgr8_;
    QImage display_;
    QString image_error_;
    InstanceOverlay overlay_;
    ViewTransform view_;
    bool fitted_ = true;  // keep fitting on resize until the user zooms
    double opacity_ = 0.45;
    std::uint64_t hovered_ = 0;
    bool space_held_ = false;
    bool space_panned_ = false;
    bool panning_ = false;
    QPointF pan_last_;
};

}  // namespace samlabel::ui
