#pragma once
// Everything concept detection adds to the main window, assembled in one
// place (MainWindow calls install_autolabel_ui once): the find bar (Ctrl+F)
// with its canvas tool, Tools > Auto-label..., and the review keys (N: the
// next image with proposals to review; Ctrl+R: accept this image's proposals
// and go on to the next).
#include <QObject>
#include <QPointer>

class QAction;

namespace samlabel::ui {

class AnnotationDocument;
class AutolabelController;
class AutolabelDialog;
class FindPanel;
class FindSession;
class FindTool;
class MainWindow;
class ModelUi;

class AutolabelUi : public QObject {
    Q_OBJECT
public:
    AutolabelUi(MainWindow& window, ModelUi* model);

    FindSession* findSession() const { return session_; }
    FindTool* findTool() const { return tool_; }
    FindPanel* findPanel() const { return panel_; }
    AutolabelController* controller() const { return controller_; }
    AutolabelDialog* dialog();  // created on first use
    void showDialog();
    // N: the next image (after the current one, wrapping) with a proposal to review. False when none.
    bool nextNeedingReview();
    // Ctrl+R: marks the current image's proposals reviewed (one undo step), then nextNeedingReview().
    void acceptReviewAndNext();

private:
    MainWindow& window_;
    AnnotationDocument* document_;
    QPointer<ModelUi> model_;
    FindSession* session_;
    FindTool* tool_;
    FindPanel* panel_;
    AutolabelController* controller_;
    QPointer<AutolabelDialog> dialog_;
};

AutolabelUi* install_autolabel_ui(MainWindow& window, ModelUi* model);

}  // namespace samlabel::ui
