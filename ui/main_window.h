#pragma once
// The main window only assembles: document, canvas, tools, docks, menus and
// shortcuts. Other panels plug in through addDock(), toolBox()->addTool(),
// menu() and document(); they never reach into the window's internals.
#include <QMainWindow>
#include <QPointer>

class QLabel;
class QMenu;
class QMessageBox;
class QSlider;

namespace samlabel::ui {

class AnnotationDocument;
class CanvasWidget;
class ClassesDock;
class ControlApiIntegration;
class GrabCutTool;
class ImageListDock;
class InstancesDock;
class ToolBox;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class MenuId { File, Edit, View, Image, Tools, Help };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a folder of images (and optionally a project file elsewhere).
    // Problems (corrupt project file moved aside, unreadable entries) are shown
    // to the user in a non-blocking message box and kept in lastOpenMessage().
    bool openFolder(const QString& folder, const QString& project_file = {});
    QString lastOpenMessage() const { return last_open_message_; }

    // ---- extension points ---------------------------------------------------
    AnnotationDocument* document() const { return document_; }
    CanvasWidget* canvas() const { return canvas_; }
    ToolBox* toolBox() const { return tool_box_; }
    QMenu* menu(MenuId id) const;
    // Adds a dock (its toggle goes to the View menu). restoreState() keeps
    // its place across sessions when it has an objectName.
    void addDock(QDockWidget* dock, Qt::DockWidgetArea area);
    // Registers a window-wide shortcut action (listed in the shortcuts dialog).
    void addShortcutAction(QAction* action, MenuId menu_id);

    // ---- parts (tests) -----------------------------------------------------
    ImageListDock* imageListDock() const { return image_list_; }
    ClassesDock* classesDock() const { return classes_; }
    InstancesDock* instancesDock() const { return instances_; }
    GrabCutTool* grabCutTool() const { return grabcut_; }
    ControlApiIntegration* controlApi() const { return control_api_; }
    QSlider* opacitySlider() const { return opacity_slider_; }
    void showShortcuts();
    void showAbout();
    void showExportDialog();  // File > Export dataset (Ctrl+E)

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createTools();
    void createMenus();
    void createStatusBar();
    void updateTitle();
    void openFolderDialog();
    void openProjectDialog();
    void showPreferences();
    void deleteSelected();
    void acceptOrCancel(bool accept);
    void changeBrushSize(int delta);
    void markCurrent(int status, bool then_next);
    void showStatus(const QString& text, int timeout_ms = 6000);
    void updateClassActions();
    // Resizes to `wanted`, or less so that the window fits the screen it is on.
    void fitToScreen(QSize wanted);

    AnnotationDocument* document_;
    CanvasWidget* canvas_;
    ToolBox* tool_box_;
    ImageListDock* image_list_;
    ClassesDock* classes_;
    InstancesDock* instances_;
    GrabCutTool* grabcut_ = nullptr;
    ControlApiIntegration* control_api_ = nullptr;
    QSlider* opacity_slider_ = nullptr;
    QLabel* zoom_label_ = nullptr;
    QLabel* cursor_label_ = nullptr;
    QLabel* save_label_ = nullptr;
    QMenu* menus_[6] = {};
    QAction* pick_class_[9] = {};
    QString last_open_message_;
    QPointer<QMessageBox> open_report_box_;
};

}  // namespace samlabel::ui
