#include "ui/autolabel/autolabel_controller.h"

#include "core/autolabel/image_detections.h"
#include "core/io/image_reader.h"
#include "core/service/model_backend.h"
#include "ui/document/annotation_document.h"
#include "ui/find/detect_on_image.h"

#include <QMetaObject>

namespace samlabel::ui {

AutolabelController::AutolabelController(AnnotationDocument* document, BackendSource backend, QObject* parent)
    : QObject(parent), document_(document), backend_(std::move(backend)) {
    connect(document_, &AnnotationDocument::closed, this, [this] {
        if (running_) stop(true, tr("the project was closed"));
    });
}

std::vector<std::string> AutolabelController::plannedImages(const Job& job, std::size_t* done_before) const {
    std::vector<std::string> all;
    for (int i = 0; i < document_->imageCount(); ++i) all.push_back(document_->relativePath(i));
    std::vector<std::string> images = autolabel::select_images(all, document_->project(), job.scope, job.selected, {});
    const std::string id = autolabel::recipe_id(job.recipe);
    std::size_t done = 0;
    for (const std::string& path : images) {
        const annotation::ImageAnnotations* image = document_->project().find_image(path);
        if (image && image->autolabel && image->autolabel->recipe == id) ++done;
    }
    if (done_before) *done_before = done;
    return images;
}

bool AutolabelController::start(const Job& job) {
    if (running_) {
        Q_EMIT failed(tr("an auto-label run is going already"));
        return false;
    }
    if (job.recipe.classes.empty()) {
        Q_EMIT failed(tr("choose at least one class"));
        return false;
    }
    const auto [backend, remote] = backend_ ? backend_() : std::pair<service::ModelBackend*, bool>{nullptr, false};
    if (!backend) {
        Q_EMIT failed(tr("no model: load SAM3 with the detect parts in the Model panel"));
        return false;
    }
    job_ = job;
    recipe_id_ = autolabel::recipe_id(job.recipe);
    std::size_t done_before = 0;
    const std::vector<std::string> images = plannedImages(job, &done_before);
    queue_.clear();
    for (const std::string& path : images) {
        const annotation::ImageAnnotations* image = document_->project().find_image(path);
        if (!(image && image->autolabel && image->autolabel->recipe == recipe_id_)) queue_.push_back(path);
    }
    if (queue_.empty()) {
        Q_EMIT failed(images.empty() ? tr("no image in the chosen scope") : tr("every image in the scope is done with these prompts already"));
        return false;
    }
    running_ = true;
    ++run_;
    next_ = 0;
    progress_ = {};
    progress_.to_do = queue_.size();
    progress_.done_before = done_before;
    proposals_ = skipped_overlap_ = 0;
    processed_.clear();
    failures_.clear();
    clock_.start();
    Q_EMIT started(int(queue_.size()), int(done_before));
    nextImage();
    return true;
}

void AutolabelController::cancel() {
    if (!running_) return;
    // The image in flight is dropped (not stamped): the next run does it again.
    stop(true, tr("cancelled after %n image(s); every finished image is kept, Start resumes", "", int(progress_.done)));
}

void AutolabelController::stop(bool cancelled, const QString& summary) {
    running_ = false;
    ++run_;
    Q_EMIT finished(cancelled, summary);
}

void AutolabelController::nextImage() {
    if (!running_) return;
    if (next_ >= queue_.size()) {
        QString summary = tr("%n image(s) done", "", int(progress_.done));
        summary += tr(", %n proposal(s)", "", int(proposals_));
        if (skipped_overlap_) summary += tr(", %n not proposed (they overlap an instance of their class)", "", int(skipped_overlap_));
        if (!failures_.empty()) summary += tr("; %n image(s) failed: %1", "", int(failures_.size())).arg(QString::fromStdString(failures_.front()));
        stop(false, summary);
        return;
    }
    image_ = queue_[next_++];
    prompt_ = 0;
    results_.clear();
    width_ = height_ = 0;
    processed_.push_back(image_);
    nextPrompt();
}

void AutolabelController::nextPrompt() {
    if (!running_) return;
    if (prompt_ >= job_.recipe.classes.size()) return finishImage();
    const auto [backend, remote] = backend_ ? backend_() : std::pair<service::ModelBackend*, bool>{nullptr, false};
    if (!backend) return stop(true, tr("the model went away"));
    const autolabel::ClassPrompt& c = job_.recipe.classes[prompt_];
    engine::DetectOptions options;
    options.score_threshold = c.threshold;
    options.mask_threshold = job_.recipe.mask_threshold;
    const int index = document_->indexOf(image_);
    if (index < 0) {  // the image left the project meanwhile
        failures_.push_back(image_ + ": no longer in the project");
        ++progress_.failed;
        return nextImage();
    }
    ++model_calls_;
    const quint64 run = run_;
    detectOnImage(backend, remote, document_->absolutePath(index), engine::DetectPrompt{c.prompt, {}}, options, this)
        .then(this, [this, run](const service::DetectReply& reply) {
            if (run != run_ || !running_) return;  // cancelled meanwhile
            if (!reply.ok()) {
                if (reply.error == service::BackendError::NotLoaded || reply.error == service::BackendError::Refused)
                    return stop(true, tr("stopped: %1").arg(reply.message));
                failures_.push_back(image_ + ": " + reply.message.toStdString());
                ++progress_.failed;
                return nextImage();
            }
            if (reply.width > 0) {
                width_ = reply.width;
                height_ = reply.height;
            }
            results_.push_back(reply.result);
            ++prompt_;
            nextPrompt();
        });
}

void AutolabelController::finishImage() {
    const annotation::ImageAnnotations* known = document_->project().find_image(image_);
    if (width_ <= 0 && known && known->width > 0) {
        width_ = known->width;
        height_ = known->height;
    }
    if (width_ <= 0) {
        // Nothing was found and the size is unknown: the file's header says it (EXIF-corrected).
        if (const auto header = io::read_image_header(document_->filesystemPath(document_->indexOf(image_)))) {
            width_ = header->width;
            height_ = header->height;
        }
    }
    try {
        const autolabel::ImageDetections found = autolabel::image_detections_from(image_, width_, height_, job_.recipe, results_);
        autolabel::ImageMergeCounts counts;
        auto op = autolabel::make_image_merge(document_->project(), found, recipe_id_, job_.merge,
                                              [this] { return document_->allocateInstanceId(); }, annotation::unix_now_ms(), &counts);
        if (op && document_->apply(std::move(op))) {
            ++progress_.done;
            progress_.detections += counts.proposed;
            proposals_ += counts.proposed;
            skipped_overlap_ += counts.skipped_overlap;
            Q_EMIT imageDone(QString::fromStdString(image_), int(counts.proposed));
        } else if (!op) {
            ++progress_.done;  // stamped by another run meanwhile
        } else {
            ++progress_.failed;
            failures_.push_back(image_ + ": the project refused the edit");
        }
    } catch (const std::exception& e) {
        ++progress_.failed;
        failures_.push_back(e.what());
    }
    progress_.image = image_;
    progress_.elapsed_s = double(clock_.elapsed()) / 1000.0;
    progress_.images_per_s = progress_.elapsed_s > 0 ? double(progress_.done) / progress_.elapsed_s : 0.0;
    const std::size_t left = progress_.to_do - progress_.done - progress_.failed;
    progress_.eta_s = progress_.images_per_s > 0 ? double(left) / progress_.images_per_s : -1.0;
    Q_EMIT progressed(progress_);
    // Through the event loop: input (a click, Cancel) is handled between images.
    QMetaObject::invokeMethod(this, &AutolabelController::nextImage, Qt::QueuedConnection);
}

}  // namespace samlabel::ui
