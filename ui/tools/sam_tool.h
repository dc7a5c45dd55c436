#pragma once
// Click-to-segment with SAM3: left click adds a positive point, right click (or
// Shift+click, or after E) a negative one, a drag draws a box. Every change
// makes one request to the model backend (this machine's worker, a model
// process or a `samlabel-cli serve` host) at once; the model's one queue
// (core/service/model_request_queue.h) decides: a newer click on the image
// supersedes an older one still waiting (answered Cancelled), so the canvas
// never waits and a slow model gets no pile-up. Only the newest request's
// answer is shown. With a remote backend the image is uploaded (encoded
// there) once, before its first click. Tab cycles
// the multimask candidates (with their predicted IoU), Enter/Space accepts the
// shown mask as an instance of the current class (undoable, polygons from
// core/annotation's mask_geometry), Esc discards, Backspace removes the newest
// prompt.
#include "core/engine/engine_types.h"
#include "core/service/model_backend.h"
#include "ui/tools/box_drag_gesture.h"
#include "ui/tools/prompt_overlay.h"
#include "ui/tools/prompt_tool.h"

#include <QElapsedTimer>
#include <QHash>
#include <QPointF>
#include <QPointer>
#include <QRectF>
#include <QVector>

#include <opencv2/core.hpp>

#include <optional>

namespace samlabel::ui {

class SamTool : public PromptTool {
    Q_OBJECT
public:
    explicit SamTool(service::ModelBackend* backend = nullptr, QObject* parent = nullptr);

    // uploads_images: the backend runs elsewhere and needs the image's pixels
    // (encode) before a click; local backends read the file themselves.
    void setBackend(service::ModelBackend* backend, bool uploads_images);
    service::ModelBackend* backend() const { return backend_; }
    // Remote: starts uploading the image on screen (ModelUi calls it when the
    // image changes, so the first click does not wait for the upload).
    void prepareImage();
    // Remote: "uploading", "ready", "failed" or "" for an image path.
    QString uploadState(const QString& image_path) const;

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
    // Switching tools keeps the prompts and the mask shown (or the answer in
    // flight): back on SAM, Enter accepts. Only Esc or an image switch drops them.
    void deactivate() override;
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
    // The answer shown and the prompt last sent (tests compare backends).
    const engine::SegmentResult& result() const { return result_; }
    const engine::ClickPrompt& lastPrompt() const { return last_prompt_; }
    // Overlay text while the image is not yet encoded ("Encoding image... 3.1 s").
    void setEncodeStatus(const QString& text);

Q_SIGNALS:
    // End-to-end click latency (release -> mask on screen) and the decoder's own time.
    void clickLatency(double latency_ms, double decode_ms);
    void maskAccepted(std::uint64_t instance_id);

private:
    void dispatch(quint64 request, const QString& image_path, const engine::ClickPrompt& prompt);
    void onReply(quint64 request, const QString& image_path, const service::SegmentReply& reply);
    void onUploaded(const QString& image_path, const service::EncodeReply& reply);
    void showResult(const engine::SegmentResult& result);
    void showError(const QString& message);

    struct Prompt {
        QPointF point;
        bool positive = true;
    };
    QString imageId() const;
    void sendRequest();
    void showCandidate(int index);
    void clearPreview();

    QPointer<service::ModelBackend> backend_;
    bool uploads_images_ = false;
    // Remote: the server's image id per image path, and uploads in flight.
    QHash<QString, QString> remote_ids_;
    QHash<QString, QString> upload_state_;
    quint64 next_request_ = 1;
    // Remote: the newest prompt, waiting for its image's upload (it cannot
    // be sent before the server has the image).
    struct AwaitingUpload {
        quint64 request = 0;
        QString image_path;
        engine::ClickPrompt prompt;
    };
    std::optional<AwaitingUpload> awaiting_upload_;
    engine::ClickPrompt last_prompt_;
    bool retried_unknown_ = false;
    QVector<Prompt> points_;
    std::optional<QRectF> box_;
    QVector<char> prompt_order_;  // 'b' box, 'p' point: Backspace removes the newest
    BoxDragGesture gesture_;

    quint64 pending_request_ = 0;
    QElapsedTimer request_clock_;
    bool accept_when_done_ = false;
    engine::SegmentResult result_;
    QString result_image_;
    int shown_ = -1;
    // The chosen mask's low-res logits, fed back in the next round (refinement).
    std::optional<engine::LowResMaskLogits> previous_mask_;
    MaskPreview preview_;
    double last_latency_ms_ = 0.0;
    QString encode_status_;
    QString error_;
};

}  // namespace samlabel::ui
