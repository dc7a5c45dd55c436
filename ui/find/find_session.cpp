#include "ui/find/find_session.h"

#include "core/annotation/rle.h"
#include "core/autolabel/apply_proposals.h"
#include "core/autolabel/overlap.h"
#include "core/service/model_backend.h"
#include "ui/document/annotation_document.h"
#include "ui/find/detect_on_image.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <set>

namespace samlabel::ui {

FindSession::FindSession(AnnotationDocument* document, BackendSource backend, QObject* parent)
    : QObject(parent), document_(document), backend_(std::move(backend)) {
    connect(document_, &AnnotationDocument::currentImageChanged, this, &FindSession::clear);
    connect(document_, &AnnotationDocument::closed, this, &FindSession::clear);
    connect(document_, &AnnotationDocument::annotationsChanged, this, [this](int index) {
        if (candidates_.empty()) return;
        if (index >= 0 && (index >= document_->imageCount() || document_->relativePath(index) != image_path_)) return;
        recomputeOverlaps();
        refilter();
    });
    connect(document_, &AnnotationDocument::classesChanged, this, [this] {
        if (target_class_ != annotation::kNoClass && !document_->project().find_class(target_class_)) setTargetClass(annotation::kNoClass);
    });
}

bool FindSession::find(const QString& text, const std::vector<engine::ExemplarBox>& boxes) {
    if (busy_) {
        Q_EMIT failed(tr("a search is still running"));
        return false;
    }
    if (!document_->isOpen() || document_->currentIndex() < 0) {
        Q_EMIT failed(tr("open an image first"));
        return false;
    }
    if (text.trimmed().isEmpty() && boxes.empty()) {
        Q_EMIT failed(tr("type what to find, or draw example boxes"));
        return false;
    }
    const auto [backend, remote] = backend_ ? backend_() : std::pair<service::ModelBackend*, bool>{nullptr, false};
    if (!backend) {
        Q_EMIT failed(tr("no model: load SAM3 with the detect parts in the Model panel"));
        return false;
    }
    clear();
    const int index = document_->currentIndex();
    image_path_ = document_->relativePath(index);
    searched_text_ = text.trimmed();
    const quint64 search = ++search_;
    busy_ = true;
    Q_EMIT busyChanged(true);
    engine::DetectOptions options;
    options.score_threshold = kScoreFloor;
    ++model_calls_;
    detectOnImage(backend, remote, document_->absolutePath(index), engine::DetectPrompt{searched_text_.toStdString(), boxes}, options, this)
        .then(this, [this, search](const service::DetectReply& reply) {
            if (search != search_) return;  // cleared or replaced meanwhile
            busy_ = false;
            Q_EMIT busyChanged(false);
            if (!reply.ok()) {
                Q_EMIT failed(reply.message);
                return;
            }
            for (const engine::Detection& d : reply.result.detections) {
                if (!(d.score > kScoreFloor) || d.mask.empty()) continue;
                const cv::Mat mask(d.height, d.width, CV_8UC1, const_cast<std::uint8_t*>(d.mask.data()));
                if (cv::countNonZero(mask) == 0) continue;
                FindCandidate c;
                c.query = d.query;
                c.score = d.score;
                c.box = QRectF(QPointF(d.box.x0, d.box.y0), QPointF(d.box.x1, d.box.y1)).normalized();
                c.mask = annotation::encode_rle(mask);
                candidates_.push_back(std::move(c));
            }
            recomputeOverlaps();
            refilter();
            Q_EMIT finished(int(candidates_.size()));
        });
    return true;
}

void FindSession::clear() {
    ++search_;
    if (busy_) {
        busy_ = false;
        Q_EMIT busyChanged(false);
    }
    const bool had = !candidates_.empty();
    candidates_.clear();
    overlaps_.clear();
    visible_.clear();
    hidden_by_overlap_ = 0;
    image_path_.clear();
    if (had) Q_EMIT candidatesChanged();
}

void FindSession::setThreshold(float threshold) {
    threshold = std::clamp(threshold, kScoreFloor, 1.f);
    if (threshold == threshold_) return;
    threshold_ = threshold;
    refilter();  // no model call: every score above the floor is here already
}

void FindSession::setTargetClass(annotation::ClassId id) {
    if (id == target_class_) return;
    target_class_ = id;
    recomputeOverlaps();
    refilter();
}

void FindSession::setOverlapIou(double iou) {
    if (iou == overlap_iou_) return;
    overlap_iou_ = iou;
    recomputeOverlaps();
    refilter();
}

void FindSession::setReplace(bool replace) {
    if (replace == replace_) return;
    replace_ = replace;
    refilter();
}

void FindSession::recomputeOverlaps() {
    overlaps_.assign(candidates_.size(), {});
    const annotation::ImageAnnotations* image = document_->project().find_image(image_path_);
    if (!image || target_class_ == annotation::kNoClass) return;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
        overlaps_[i] = autolabel::overlapping_instances(*image, target_class_, candidates_[i].mask, overlap_iou_);
        // Its own accepted instance is not "existing work" to protect from it.
        std::erase(overlaps_[i], candidates_[i].accepted_as);
    }
}

void FindSession::refilter() {
    visible_.clear();
    hidden_by_overlap_ = 0;
    for (int i = 0; i < int(candidates_.size()); ++i) {
        FindCandidate& c = candidates_[std::size_t(i)];
        if (c.accepted_as && !document_->project().find_instance(image_path_, c.accepted_as)) c.accepted_as = 0;  // undone
        if (c.rejected || c.accepted_as || !(c.score > threshold_)) continue;
        if (!replace_ && i < int(overlaps_.size()) && !overlaps_[std::size_t(i)].empty()) {
            ++hidden_by_overlap_;
            continue;
        }
        visible_.push_back(i);
    }
    std::stable_sort(visible_.begin(), visible_.end(), [this](int a, int b) { return candidates_[std::size_t(a)].score > candidates_[std::size_t(b)].score; });
    Q_EMIT candidatesChanged();
}

int FindSession::accept(const std::vector<int>& indices) {
    if (target_class_ == annotation::kNoClass || indices.empty() || image_path_.empty()) return 0;
    if (document_->currentIndex() < 0 || document_->currentPath() != image_path_) return 0;
    std::vector<annotation::Instance> add;
    std::vector<std::uint64_t> remove;
    std::set<std::uint64_t> removing;
    std::vector<int> taken;
    const std::int64_t now = annotation::unix_now_ms();
    for (int i : indices) {
        if (i < 0 || i >= int(candidates_.size()) || std::find(visible_.begin(), visible_.end(), i) == visible_.end()) continue;
        const FindCandidate& c = candidates_[std::size_t(i)];
        if (replace_ && i < int(overlaps_.size()))
            for (std::uint64_t id : overlaps_[std::size_t(i)])
                if (removing.insert(id).second) remove.push_back(id);
        annotation::Instance inst = autolabel::proposal_instance(c.mask, target_class_, c.score, annotation::ReviewState::Reviewed, now);
        inst.id = document_->allocateInstanceId();
        add.push_back(std::move(inst));
        taken.push_back(i);
    }
    if (add.empty()) return 0;
    const int n = int(add.size());
    std::vector<std::uint64_t> ids;
    for (const auto& inst : add) ids.push_back(inst.id);
    const annotation::RleMask& any = candidates_[std::size_t(taken.front())].mask;
    const std::string what = n == 1 ? "Accept 1 detection" : "Accept " + std::to_string(n) + " detections";
    auto op = std::make_unique<autolabel::ApplyProposals>(image_path_, std::move(add), std::move(remove), std::nullopt, what, any.width, any.height);
    for (std::size_t k = 0; k < taken.size(); ++k) candidates_[std::size_t(taken[k])].accepted_as = ids[k];
    if (!document_->apply(std::move(op))) {
        for (int i : taken) candidates_[std::size_t(i)].accepted_as = 0;
        return 0;
    }
    return n;  // annotationsChanged refilters
}

void FindSession::reject(const std::vector<int>& indices) {
    for (int i : indices)
        if (i >= 0 && i < int(candidates_.size())) candidates_[std::size_t(i)].rejected = true;
    refilter();
}

annotation::ClassId FindSession::matchingClass(const QString& text) const {
    const QString wanted = text.trimmed();
    if (wanted.isEmpty()) return annotation::kNoClass;
    for (const annotation::LabelClass& c : document_->project().classes())
        if (QString::fromStdString(c.name).compare(wanted, Qt::CaseInsensitive) == 0 ||
            (!c.prompt.empty() && QString::fromStdString(c.prompt).compare(wanted, Qt::CaseInsensitive) == 0))
            return c.id;
    return annotation::kNoClass;
}

}  // namespace samlabel::ui
