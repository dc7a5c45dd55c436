#pragma once
// Tools > Auto-label...: runs SAM3 concept detection over many images.
// Scope (all images, never annotated only, the images the image list shows,
// this image), the classes to run with their prompt and threshold (edits are
// saved as the classes' prompts), overlap IoU and the explicit "replace",
// whether detection can run now (the loaded parts, or the memory preflight of
// adding them, with an "Add detection" button), progress with images/s and
// ETA, Cancel that keeps every finished image, and Start that resumes (the
// images done with the same model and prompts are skipped). Modeless: the
// annotator keeps working (clicks are served between the run's requests).
#include "core/autolabel/autolabel_recipe.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QPointer>

#include <optional>

class QButtonGroup;
class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QTableWidget;

namespace samlabel::ui {

class AnnotationDocument;
class AutolabelController;
class ImageListDock;
class ModelUi;
struct DetectionReadiness;

class AutolabelDialog : public QDialog {
    Q_OBJECT
public:
    AutolabelDialog(AnnotationDocument* document, AutolabelController* controller, ModelUi* model, ImageListDock* images,
                    QWidget* parent = nullptr);
    ~AutolabelDialog() override;

    void start();
    void cancel();
    void refreshReadiness();
    void rebuildClasses();

    // Parts, for tests and screenshots.
    QTableWidget* classTable() const { return classes_; }
    QRadioButton* scopeButton(int scope) const;  // autolabel::Scope, or 4 = this image
    QLabel* readinessLabel() const { return readiness_; }
    QLabel* progressLabel() const { return progress_text_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* startButton() const { return start_; }
    QPushButton* cancelButton() const { return cancel_; }
    bool readinessKnown() const { return readiness_known_; }
    bool detectionReady() const { return identity_.has_value(); }

private:
    std::optional<autolabel::Recipe> recipe(QString* why) const;
    void saveClassPrompts();
    void updateStartButton();

    AnnotationDocument* document_;
    QPointer<AutolabelController> controller_;
    QPointer<ModelUi> model_;
    QPointer<ImageListDock> images_;
    QButtonGroup* scope_;
    QTableWidget* classes_;
    QDoubleSpinBox* overlap_iou_;
    QCheckBox* replace_;
    QLabel* readiness_;
    QPushButton* add_detection_;
    QProgressBar* progress_;
    QLabel* progress_text_;
    QPushButton* start_;
    QPushButton* cancel_;
    QFutureWatcher<DetectionReadiness>* readiness_watcher_;
    std::optional<autolabel::ModelIdentity> identity_;
    bool readiness_known_ = false;
    bool recheck_ = false;
};

}  // namespace samlabel::ui
