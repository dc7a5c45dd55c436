#pragma once
// Click-to-segment with SAM3: left click adds a positive point, right click (or
// Shift+click, or after E) a negative one, a drag draws a box. Every change
// sends one request to the model worker; only the newest answer is shown (the
// worker drops older pending clicks too), so the canvas never waits. Tab cycles
// the multimask candidates (with their predicted IoU), Enter/Space accepts the
// shown mask as an instance of the current class (undoable, polygons from
// core/annotation's mask_geometry), Esc discards, Backspace removes the newest
// prompt.
#include "core/engine/engine_types.h"
#include "ui/tools/prompt_tool.h"

#include <QElapsedTimer>
#include <QImage>
#include <QPainterPath>
#include <QPointF>
#include <QPointer>
#include <QRectF>
#include <QVector>

#include <opencv2/core.hpp>

#include <optional>

namespace samlabel::service {
class ModelWorker;
}

namespace samlabel::ui {

class SamTool : public PromptTool {
    Q_OBJECT
public:
    explicit SamTool(service::ModelWorker* worker, QObject* parent = nullptr);

    QString id() const override { return QStringLiteral("sam"); }
    QString title() const override { return tr("SAM"); }
    QString help() const override {
        return tr("SAM: click the object (left/Q positive, right/Shift/E negative), drag a box; Tab cycles masks, "
                  "Enter or Space accepts, Esc discards");
    }
    QKeySequence shortcut() const override { return QKeySequence(Qt::Key_S); }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseRelease(const ToolMouseEvent& event) override;
    bool keyPress(QKeyEvent* event) override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool accept() override;
    bool cancel() override;
    bool hasPendingWork() const override;

    // Tab / Shift+Tab: the next or previous multimask candidate. False when
    // there is nothing to cycle. (The canvas never sees Tab, which Qt uses
    // for focus: ModelUi forwards it while this tool is active.)
    bool cycleCandidate(bool forward);

    // The request in flight (0 = none) and what is shown.
    quint64 pendingRequest() const { return pending_request_; }
    int candidateCount() const { return int(result_.candidates.size()); }
    int shownCandidate() const { return shown_; }
    double lastClickLatencyMs() const { return last_latency_ms_; }
    // Overlay text while the image is not yet encoded ("Encoding image... 3.1 s").
    void setEncodeStatus(const QString& text);

Q_SIGNALS:
    // End-to-end click latency (release -> mask on screen) and the decoder's own time.
    void clickLatency(double latency_ms, double decode_ms);
    void maskAccepted(std::uint64_t instance_id);

private Q_SLOTS:
    void onSegmented(quint64 request_id, const QString& image_id, const samlabel::engine::SegmentResult& result,
                     double total_ms);
    void onSegmentFailed(quint64 request_id, const QString& image_id, const QString& message);

private:
    struct Prompt {
        QPointF point;
        bool positive = true;
    };
    QString imageId() const;
    void sendRequest();
    void showCandidate(int index);
    void clearPreview();

    QPointer<service::ModelWorker> worker_;
    QVector<Prompt> points_;
    std::optional<QRectF> box_;
    QVector<char> prompt_order_;  // 'b' box, 'p' point: Backspace removes the newest
    std::optional<QPointF> press_widget_;
    QPointF press_image_, drag_image_;
    bool dragging_ = false;

    quint64 pending_request_ = 0;
    QElapsedTimer request_clock_;
    bool accept_when_done_ = false;
    engine::SegmentResult result_;
    QString result_image_;
    int shown_ = -1;
    // The chosen mask's low-res logits, fed back in the next round (refinement).
    std::optional<engine::LowResMaskLogits> previous_mask_;
    cv::Mat1b preview_mask_;
    QImage preview_image_;
    QPainterPath preview_outline_;
    double last_latency_ms_ = 0.0;
    QString encode_status_;
    QString error_;
};

}  // namespace samlabel::ui
