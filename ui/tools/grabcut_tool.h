#pragma once
// Smart segmentation without a model: drag a box and/or click positive (left,
// or after Q) and negative (right, Shift+click, or after E) points; GrabCut
// runs on a worker thread (the UI never waits) and its mask is previewed.
// Enter/Space turns the preview into an instance (source grabcut); Esc drops it.
#include "core/annotation/grabcut_segmenter.h"
#include "ui/tools/box_drag_gesture.h"
#include "ui/tools/prompt_overlay.h"
#include "ui/tools/prompt_tool.h"

#include <QFutureWatcher>
#include <QPointF>
#include <QRectF>
#include <QVector>

#include <optional>

namespace samlabel::ui {

class GrabCutTool : public PromptTool {
    Q_OBJECT
public:
    explicit GrabCutTool(QObject* parent = nullptr);
    ~GrabCutTool() override;

    QString id() const override { return "grabcut"; }
    QString title() const override { return tr("GrabCut"); }
    QString help() const override {
        return tr("GrabCut: drag a box and/or click points (left/Q positive, right/Shift/E negative); Enter or Space accepts");
    }
    QKeySequence shortcut() const override { return QKeySequence(Qt::Key_G); }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseRelease(const ToolMouseEvent& event) override;
    bool keyPress(QKeyEvent* event) override;
    // Switching tools keeps the seeds and the preview (or the run in flight):
    // back on GrabCut, Enter accepts them. Only Esc or an image switch drops them.
    void deactivate() override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool accept() override;
    bool cancel() override;
    bool hasPendingWork() const override;

    bool isRunning() const { return watcher_.isRunning(); }
    bool hasPreview() const { return !preview_.empty(); }
    const cv::Mat1b& previewMask() const { return preview_.mask(); }
    double lastDurationMs() const { return last_duration_ms_; }

signals:
    void segmentationFinished(bool ok, const QString& error);

private:
    void requestRun();
    void startRun();
    void onFinished();
    annotation::GrabCutSeeds seeds() const;

    std::optional<QRectF> box_;        // image coordinates
    QVector<QPointF> positive_, negative_;
    QVector<char> seed_order_;         // 'b' box, 'p' positive, 'n' negative: Backspace removes the newest
    BoxDragGesture gesture_;

    QFutureWatcher<annotation::GrabCutResult> watcher_;
    bool rerun_needed_ = false;
    bool accept_when_done_ = false;
    int generation_ = 0;          // bumped on cancel/image switch: stale results are dropped
    int running_generation_ = 0;
    MaskPreview preview_;
    double last_duration_ms_ = 0.0;
};

}  // namespace samlabel::ui
