#pragma once
// The find bar's state, without widgets: one model call per search (a text
// and/or positive/negative exemplar boxes on the image on screen), every
// candidate the model returned above a low floor with its score, box and
// mask, and what the user sees of them: the score threshold filters live
// (never calling the model again), candidates overlapping an instance of the
// target class above the IoU are hidden unless "replace" is on, accepted and
// rejected ones leave the list. Accepting adds instances (source sam3-detect,
// score, review "reviewed": a person picked them) as ONE undo step; undoing it
// brings the candidates back.
#include "core/annotation/annotation_types.h"
#include "core/engine/engine_types.h"

#include <QObject>
#include <QPointer>
#include <QRectF>
#include <QString>

#include <cstdint>
#include <functional>
#include <vector>

namespace samlabel::service {
class ModelBackend;
}

namespace samlabel::ui {

class AnnotationDocument;

struct FindCandidate {
    int query = 0;
    float score = 0.f;
    QRectF box;                   // image pixels
    annotation::RleMask mask;     // image size
    bool rejected = false;
    std::uint64_t accepted_as = 0;  // the instance it became (0: not accepted)
};

class FindSession : public QObject {
    Q_OBJECT
public:
    // Masks are computed for every query above this score, so the threshold
    // can go down to it without a new model call.
    static constexpr float kScoreFloor = 0.1f;

    // backend(): the backend and whether it needs the images' pixels (a serve
    // host; a model process reads the files itself), asked at each search
    // (the control API can switch it while the window is open).
    using BackendSource = std::function<std::pair<service::ModelBackend*, bool>()>;
    FindSession(AnnotationDocument* document, BackendSource backend, QObject* parent = nullptr);

    // Runs the model on the current image. False (and failed() says why) when
    // there is no image, no prompt, or a search is running.
    bool find(const QString& text, const std::vector<engine::ExemplarBox>& boxes);
    bool busy() const { return busy_; }
    void clear();

    void setThreshold(float threshold);
    float threshold() const { return threshold_; }
    void setTargetClass(annotation::ClassId id);
    annotation::ClassId targetClass() const { return target_class_; }
    void setOverlapIou(double iou);
    double overlapIou() const { return overlap_iou_; }
    void setReplace(bool replace);
    bool replace() const { return replace_; }

    const std::vector<FindCandidate>& candidates() const { return candidates_; }
    // Indices into candidates() the user sees, best score first.
    const std::vector<int>& visible() const { return visible_; }
    int hiddenByOverlap() const { return hidden_by_overlap_; }
    QString searchedText() const { return searched_text_; }
    std::string imagePath() const { return image_path_; }  // the relative path the candidates belong to
    int modelCalls() const { return model_calls_; }

    // One undo step adding these candidates as instances of the target class
    // (with "replace", removing the instances they overlap). Returns how many
    // were added; 0 when there is no target class or nothing to accept.
    int accept(const std::vector<int>& indices);
    void reject(const std::vector<int>& indices);

    // The class a prompt means: the one whose name or saved prompt equals the
    // text (case-insensitive), else kNoClass.
    annotation::ClassId matchingClass(const QString& text) const;

Q_SIGNALS:
    void candidatesChanged();  // new results, threshold, class, accept/reject, edits of the image
    void busyChanged(bool busy);
    void failed(const QString& message);
    void finished(int candidates);

private:
    void refilter();
    void recomputeOverlaps();

    AnnotationDocument* document_;
    BackendSource backend_;
    bool busy_ = false;
    quint64 search_ = 0;  // answers of an older search are ignored
    std::string image_path_;
    QString searched_text_;
    std::vector<FindCandidate> candidates_;
    std::vector<std::vector<std::uint64_t>> overlaps_;  // per candidate: instances of the target class it overlaps
    std::vector<int> visible_;
    int hidden_by_overlap_ = 0;
    float threshold_ = 0.5f;
    annotation::ClassId target_class_ = annotation::kNoClass;
    double overlap_iou_ = 0.7;
    bool replace_ = false;
    int model_calls_ = 0;
};

}  // namespace samlabel::ui
