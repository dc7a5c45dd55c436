#pragma once
// An auto-label run inside the app: for each image of the scope not yet done
// with this recipe (its stamp), one detect per class prompt through the model
// backend, then the image's proposals go into the document as one undoable
// edit (core/autolabel's make_image_merge: existing instances never
// overwritten; review "pending"). One request is in flight at a time and the
// next is sent only after the answer, so a click on the canvas waits for at
// most one detect: the backend serves requests in order and the SAM tool's
// click is queued before the run's next one. Cancel stops at once; every
// finished image is already in the project (and autosaved), and starting the
// same recipe again skips it.
#include "core/autolabel/autolabel_recipe.h"
#include "core/autolabel/autolabel_run.h"
#include "core/autolabel/image_selection.h"
#include "core/autolabel/merge_results.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace samlabel::service {
class ModelBackend;
}

namespace samlabel::ui {

class AnnotationDocument;

class AutolabelController : public QObject {
    Q_OBJECT
public:
    using BackendSource = std::function<std::pair<service::ModelBackend*, bool>()>;
    AutolabelController(AnnotationDocument* document, BackendSource backend, QObject* parent = nullptr);

    struct Job {
        autolabel::Recipe recipe;
        autolabel::Scope scope = autolabel::Scope::All;
        std::set<std::string> selected;  // relative paths, for Scope::Selected
        autolabel::MergeOptions merge;
    };
    // The images the job would take, and how many of them are done already.
    std::vector<std::string> plannedImages(const Job& job, std::size_t* done_before) const;
    // False (and failed() says why) when a run is going or nothing is left.
    bool start(const Job& job);
    void cancel();
    bool running() const { return running_; }
    const autolabel::RunProgress& progress() const { return progress_; }
    std::size_t proposals() const { return proposals_; }
    std::size_t skippedOverlap() const { return skipped_overlap_; }
    int modelCalls() const { return model_calls_; }
    // Every image this run sent to the model, in order (tests: none twice).
    const std::vector<std::string>& processed() const { return processed_; }

Q_SIGNALS:
    void started(int to_do, int done_before);
    void progressed(const samlabel::autolabel::RunProgress& progress);
    void imageDone(const QString& relative_path, int proposals);
    void finished(bool cancelled, const QString& summary);
    void failed(const QString& message);

private:
    void nextImage();
    void nextPrompt();
    void finishImage();
    void stop(bool cancelled, const QString& summary);

    AnnotationDocument* document_;
    BackendSource backend_;
    bool running_ = false;
    quint64 run_ = 0;  // answers of a cancelled run are ignored
    Job job_;
    std::string recipe_id_;
    std::vector<std::string> queue_;
    std::size_t next_ = 0;
    std::string image_;          // the image in progress
    std::size_t prompt_ = 0;     // its next class prompt
    std::vector<engine::DetectResult> results_;
    int width_ = 0, height_ = 0;
    autolabel::RunProgress progress_;
    QElapsedTimer clock_;
    std::size_t proposals_ = 0, skipped_overlap_ = 0;
    int model_calls_ = 0;
    std::vector<std::string> processed_;
    std::vector<std::string> failures_;
};

}  // namespace samlabel::ui
