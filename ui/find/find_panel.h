#pragma once
// The find bar (Ctrl+F): a text prompt and exemplar boxes (+ Box / - Box on
// the canvas), Find, a score threshold slider that filters the candidates
// live (no new model call), the candidate list (score, box size), the class
// the accepted ones become (the class whose name or saved prompt matches the
// text; otherwise the user is asked), "replace overlapping instances" (off by
// default), Accept all / Accept selected / Reject, and "Save as class prompt"
// (the text and threshold become the class's saved prompt, undoable).
#include "core/annotation/annotation_types.h"

#include <QDockWidget>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSlider;
class QToolButton;

namespace samlabel::ui {

class AnnotationDocument;
class FindSession;
class FindTool;
class ToolBox;

class FindPanel : public QDockWidget {
    Q_OBJECT
public:
    FindPanel(AnnotationDocument* document, FindSession* session, FindTool* tool, ToolBox* tools, QWidget* parent = nullptr);

    // Ctrl+F: show, switch the canvas to the find tool, focus the prompt.
    void activate();
    void runFind();
    void acceptAll();
    void acceptSelected();
    void rejectSelected();
    void savePrompt();

    // Parts, for tests and screenshots.
    QLineEdit* promptEdit() const { return text_; }
    QSlider* thresholdSlider() const { return threshold_; }
    QListWidget* resultList() const { return list_; }
    QComboBox* classCombo() const { return class_; }
    QCheckBox* replaceBox() const { return replace_; }
    QDoubleSpinBox* overlapIouBox() const { return overlap_iou_; }
    QLabel* statusLabel() const { return status_; }
    static int sliderValue(float threshold);
    static float thresholdOf(int slider_value);

private:
    void rebuildClasses();
    void rebuildList();
    void syncSelectionToTool();
    void onTextEdited(const QString& text);
    annotation::ClassId classForAccept();  // the combo's class, or asks
    void showStatus(const QString& text);

    AnnotationDocument* document_;
    QPointer<FindSession> session_;
    QPointer<FindTool> tool_;
    ToolBox* tools_;
    QLineEdit* text_;
    QPushButton* find_;
    QToolButton* positive_box_;
    QToolButton* negative_box_;
    QToolButton* clear_boxes_;
    QLabel* boxes_label_;
    QSlider* threshold_;
    QLabel* threshold_label_;
    QListWidget* list_;
    QComboBox* class_;
    QCheckBox* replace_;
    QDoubleSpinBox* overlap_iou_;  // what counts as covering an instance
    QPushButton* accept_all_;
    QPushButton* accept_selected_;
    QPushButton* reject_;
    QPushButton* save_prompt_;
    QLabel* status_;
    QString message_;
    bool rebuilding_ = false;
    bool class_chosen_by_user_ = false;
};

}  // namespace samlabel::ui
