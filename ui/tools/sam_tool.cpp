#include "ui/tools/sam_tool.h"

#include "core/service/image_source.h"
#include "core/service/model_backend.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/document/annotation_document.h"
#include "ui/tools/new_instance.h"

#include <QKeyEvent>
#include <QLineF>
#include <QPainter>
#include <QtConcurrent/QtConcurrentRun>

namespace samlabel::ui {
namespace {
const QColor kMaskColour(255, 170, 0);
}  // namespace

SamTool::SamTool(service::ModelBackend* backend, QObject* parent)
    : PromptTool(parent), backend_(backend), preview_(kMaskColour) {}

void SamTool::setBackend(service::ModelBackend* backend, bool uploads_images) {
    if (backend_ == backend && uploads_images_ == uploads_images) return;
    cancel();
    backend_ = backend;
    uploads_images_ = uploads_images;
    remote_ids_.clear();  // ids of another server mean nothing here
    upload_state_.clear();
    awaiting_upload_.reset();  // answers of the old backend are ignored (request ids move on)
}

QString SamTool::uploadState(const QString& image_path) const { return upload_state_.value(image_path); }

void SamTool::prepareImage() {
    const QString path = imageId();
    if (!backend_ || !uploads_images_ || path.isEmpty() || remote_ids_.contains(path) ||
        upload_state_.value(path) == QLatin1String("uploading"))
        return;
    upload_state_[path] = QStringLiteral("uploading");
    setEncodeStatus(tr("Sending the image to the SAM server..."));
    QPointer<service::ModelBackend> backend = backend_;
    // Reading and decoding a large photo takes a while: not on the UI thread.
    QtConcurrent::run([path] {
        QString error;
        auto image = service::read_model_image(path, &error);
        return std::make_pair(std::move(image), error);
    }).then(this, [this, path, backend](const std::pair<std::optional<service::ModelImage>, QString>& read) {
        if (backend != backend_) return;  // switched backend meanwhile
        if (!read.first) {
            service::EncodeReply failed;
            failed.error = service::BackendError::BadInput;
            failed.message = read.second;
            onUploaded(path, failed);
            return;
        }
        backend_->encode(read.first->image, QString()).then(this, [this, path, backend](const service::EncodeReply& reply) {
            if (backend == backend_) onUploaded(path, reply);
        });
    });
}

void SamTool::onUploaded(const QString& image_path, const service::EncodeReply& reply) {
    if (image_path == imageId()) setEncodeStatus(QString());
    if (!reply.ok()) {
        upload_state_[image_path] = QStringLiteral("failed");
        if (awaiting_upload_ && awaiting_upload_->image_path == image_path) {
            const quint64 request = awaiting_upload_->request;
            awaiting_upload_.reset();
            if (request == pending_request_ && image_path == imageId()) {
                pending_request_ = 0;
                accept_when_done_ = false;
                showError(tr("the image did not reach the SAM server: %1").arg(reply.message));
            }
        }
        return;
    }
    upload_state_[image_path] = QStringLiteral("ready");
    remote_ids_.insert(image_path, reply.image_id);
    if (awaiting_upload_ && awaiting_upload_->image_path == image_path) {
        AwaitingUpload q = std::move(*awaiting_upload_);
        awaiting_upload_.reset();
        dispatch(q.request, q.image_path, q.prompt);
    }
}

QString SamTool::imageId() const {
    if (!document_ || document_->currentIndex() < 0) return {};
    return document_->absolutePath(document_->currentIndex());
}

bool SamTool::hasPendingWork() const { return box_ || !points_.isEmpty() || !preview_.empty(); }

void SamTool::setEncodeStatus(const QString& text) {
    if (encode_status_ == text) return;
    encode_status_ = text;
    Q_EMIT overlayChanged();
}

void SamTool::mousePress(const ToolMouseEvent& event) {
    gesture_.press(event);
}

void SamTool::mouseMove(const ToolMouseEvent& event) {
    if (gesture_.move(event)) Q_EMIT overlayChanged();
}

void SamTool::mouseRelease(const ToolMouseEvent& event) {
    if (!gesture_.pressed() || !canvas_ || !canvas_->hasImage()) return;
    const std::optional<QRectF> dragged = gesture_.release(event);
    const QSize size = canvas_->imageSize();
    const QRectF image_rect(0, 0, size.width(), size.height());
    if (dragged) {
        QRectF box = dragged->intersected(image_rect);
        if (box.width() < 2 || box.height() < 2) {
            Q_EMIT overlayChanged();
            return;
        }
        if (box_) prompt_order_.removeAll('b');  // one box per object: the new one replaces it
        box_ = box;
        prompt_order_.append('b');
    } else {
        if (!image_rect.contains(event.image_pos)) return;
        const bool negative = event.button == Qt::RightButton || (event.modifiers & Qt::ShiftModifier) ||
                              point_label_ == PointLabel::Negative;
        points_.append(Prompt{event.image_pos, !negative});
        prompt_order_.append('p');
    }
    Q_EMIT overlayChanged();
    sendRequest();
}

void SamTool::deactivate() {
    gesture_.reset();  // a drag in progress belongs to the tool being left
}

bool SamTool::keyPress(QKeyEvent* event) {
    if (event->key() == Qt::Key_Tab || event->key() == Qt::Key_Backtab)
        return cycleCandidate(event->key() == Qt::Key_Tab);
    if (event->key() == Qt::Key_Backspace && (box_ || !points_.isEmpty())) {
        const char last = prompt_order_.isEmpty() ? 'p' : prompt_order_.takeLast();
        if (last == 'b') box_.reset();
        else if (!points_.isEmpty()) points_.removeLast();
        previous_mask_.reset();  // the fed-back mask came from the removed prompt
        Q_EMIT overlayChanged();
        if (box_ || !points_.isEmpty()) sendRequest();
        else clearPreview();
        return true;
    }
    return false;
}

bool SamTool::cycleCandidate(bool forward) {
    if (result_.candidates.size() < 2 || shown_ < 0) return false;
    const int n = int(result_.candidates.size());
    showCandidate((shown_ + (forward ? 1 : n - 1)) % n);
    return true;
}

void SamTool::sendRequest() {
    const QString image = imageId();
    if (image.isEmpty()) return;
    if (!backend_) {
        showError(tr("no model backend"));
        return;
    }
    engine::ClickPrompt prompt;
    for (const Prompt& p : points_)
        prompt.points.push_back(engine::PointPrompt{float(p.point.x()), float(p.point.y()),
                                                    p.positive ? engine::PointLabel::Positive : engine::PointLabel::Negative});
    if (box_) prompt.box = engine::BoxPrompt{float(box_->left()), float(box_->top()), float(box_->right()), float(box_->bottom())};
    // One point is ambiguous (part or whole?): offer three masks. More prompts
    // pin the object down: one mask, refined from the one shown.
    prompt.multimask = points_.size() == 1 && !box_;
    if (!prompt.multimask) prompt.previous_mask = previous_mask_;
    error_.clear();
    request_clock_.start();
    last_prompt_ = prompt;
    pending_request_ = next_request_++;
    if (uploads_images_ && !remote_ids_.contains(image)) {
        awaiting_upload_ = AwaitingUpload{pending_request_, image, std::move(prompt)};
        prepareImage();
    } else {
        // At once, also while an older click is out: the model's queue
        // supersedes it if it still waits, and its answer is ignored below.
        dispatch(pending_request_, image, prompt);
    }
    Q_EMIT overlayChanged();
}

void SamTool::dispatch(quint64 request, const QString& image_path, const engine::ClickPrompt& prompt) {
    const QString backend_id = uploads_images_ ? remote_ids_.value(image_path) : image_path;
    QPointer<service::ModelBackend> backend = backend_;
    backend_->segment(backend_id, prompt).then(this, [this, request, image_path, backend](const service::SegmentReply& reply) {
        if (backend != backend_) return;  // setBackend() reset the state already
        onReply(request, image_path, reply);
    });
}

void SamTool::onReply(quint64 request, const QString& image_path, const service::SegmentReply& reply) {
    // The server forgot the image (it keeps the last few): upload it again, then retry.
    if (uploads_images_ && reply.error == service::BackendError::UnknownImage) {
        remote_ids_.remove(image_path);
        upload_state_.remove(image_path);
    }
    // A newer prompt was sent since (this one was superseded or is moot), the
    // prompts were discarded, or another image is shown now.
    if (request != pending_request_ || image_path != imageId()) return;
    if (uploads_images_ && reply.error == service::BackendError::UnknownImage && !retried_unknown_) {
        retried_unknown_ = true;  // once: a server that forgets at once is reported below
        sendRequest();            // the same prompts, after a fresh upload
        return;
    }
    retried_unknown_ = false;
    pending_request_ = 0;
    if (!reply.ok()) {
        accept_when_done_ = false;
        if (reply.error == service::BackendError::NotLoaded)
            showError(uploads_images_ ? tr("the SAM server has no model loaded") : tr("no model loaded (Model panel: Load)"));
        else
            showError(reply.message);
        return;
    }
    showResult(reply.result);
}

void SamTool::showError(const QString& message) {
    error_ = message;
    Q_EMIT statusMessage(tr("SAM: %1").arg(message));
    Q_EMIT overlayChanged();
}

void SamTool::showResult(const engine::SegmentResult& result) {
    last_latency_ms_ = double(request_clock_.elapsed());
    result_ = result;
    result_image_ = imageId();
    if (result_.candidates.empty()) {
        clearPreview();
        Q_EMIT statusMessage(tr("SAM: no mask"));
        return;
    }
    // Start with the candidate the model rates best.
    int best = 0;
    for (int i = 1; i < int(result_.candidates.size()); ++i)
        if (result_.candidates[std::size_t(i)].predicted_iou > result_.candidates[std::size_t(best)].predicted_iou) best = i;
    showCandidate(best);
    Q_EMIT clickLatency(last_latency_ms_, result.decode_ms);
    if (accept_when_done_) {
        accept_when_done_ = false;
        accept();
    }
}

void SamTool::showCandidate(int index) {
    if (index < 0 || index >= int(result_.candidates.size())) return;
    shown_ = index;
    const engine::MaskCandidate& c = result_.candidates[std::size_t(index)];
    // The next round refines the candidate shown: its logits, or, from a model
    // in another process, their name there (kept_by_server).
    if (c.low_res.logits.empty() && !c.low_res.kept_by_server) previous_mask_.reset();
    else previous_mask_ = c.low_res;
    // The candidate is 0/1; the preview (and the accepted instance) 0/255.
    const cv::Mat1b mask = cv::Mat(c.height, c.width, CV_8UC1, const_cast<std::uint8_t*>(c.mask.data())) != 0;
    preview_.show(mask);
    QString text = tr("SAM: %1 ms · IoU %2").arg(qRound(last_latency_ms_)).arg(double(c.predicted_iou), 0, 'f', 3);
    if (result_.candidates.size() > 1) text += tr(" · mask %1/%2 (Tab)").arg(index + 1).arg(result_.candidates.size());
    text += tr(" · Enter accepts, Esc discards");
    Q_EMIT statusMessage(text);
    Q_EMIT overlayChanged();
}

void SamTool::clearPreview() {
    result_ = {};
    shown_ = -1;
    preview_.clear();
    Q_EMIT overlayChanged();
}

bool SamTool::accept() {
    if (pending_request_ != 0) {
        accept_when_done_ = true;  // commit as soon as the newest answer is in
        return true;
    }
    if (preview_.empty() || shown_ < 0 || !document_) return false;
    const cv::Mat1b mask = preview_.mask();
    const float score = result_.candidates[std::size_t(shown_)].predicted_iou;
    box_.reset();
    points_.clear();
    prompt_order_.clear();
    previous_mask_.reset();
    clearPreview();
    if (addMaskInstance(*document_, mask, annotation::InstanceSource::Sam3, score))
        Q_EMIT maskAccepted(document_->selectedInstance());
    else
        Q_EMIT statusMessage(tr("SAM: the mask is empty, nothing added"));
    return true;
}

bool SamTool::cancel() {
    const bool had = hasPendingWork() || pending_request_ != 0;
    pending_request_ = 0;  // its answer will be ignored
    awaiting_upload_.reset();
    accept_when_done_ = false;
    box_.reset();
    points_.clear();
    prompt_order_.clear();
    previous_mask_.reset();
    gesture_.reset();
    error_.clear();
    clearPreview();
    return had;
}

void SamTool::paintOverlay(QPainter& painter, const ViewTransform& view) const {
    preview_.paint(painter, view);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setBrush(Qt::NoBrush);
    paintPromptBox(painter, view, gesture_.draggedBox(), box_, kMaskColour);
    for (const Prompt& p : points_) paintPromptPoint(painter, view, p.point, p.positive);
    QString banner = encode_status_;
    if (pending_request_ != 0 && banner.isEmpty()) banner = tr("SAM...");
    if (!error_.isEmpty()) banner = error_;
    if (!banner.isEmpty()) {
        painter.setPen(Qt::white);
        painter.setBrush(QColor(0, 0, 0, 150));
        const QRectF r = painter.fontMetrics().boundingRect(banner).adjusted(-6, -3, 6, 3).translated(14, 22);
        painter.drawRoundedRect(r, 3, 3);
        painter.drawText(r, Qt::AlignCenter, banner);
    }
}

}  // namespace samlabel::ui
