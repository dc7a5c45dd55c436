#include "ui/main_window.h"

#include "ui/autolabel/autolabel_ui.h"
#include "ui/canvas/canvas_widget.h"
#include "ui/control_api_integration.h"
#include "ui/dialogs/about_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/dialogs/settings_dialog.h"
#include "ui/dialogs/shortcuts_dialog.h"
#include "ui/docks/classes_dock.h"
#include "ui/docks/image_list_dock.h"
#include "ui/docks/instances_dock.h"
#include "ui/docks/model_panel.h"
#include "ui/docks/thumbnail_cache.h"
#include "core/service/local_model_backend.h"
#include "ui/model/model_ui.h"
#include "ui/document/annotation_document.h"
#include "ui/icons/bundled_icons.h"
#include "ui/input/editor_key_guard.h"
#include "ui/input/open_item_editor.h"
#include "ui/settings/app_settings.h"
#include "ui/settings/shortcut_settings.h"
#include "ui/tools/box_tool.h"
#include "ui/tools/brush_tool.h"
#include "ui/tools/grabcut_tool.h"
#include "ui/tools/polygon_tool.h"
#include "ui/tools/select_tool.h"
#include "ui/tools/tool_box.h"

#include "core/annotation/annotation_types.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSlider>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoStack>

#include <cmath>

namespace samlabel::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName("main_window");
    // Keys typed into an editor (a class name, a folder) never trigger the window's shortcuts.
    qApp->installEventFilter(new EditorKeyGuard(this));
    document_ = new AnnotationDocument(this);
    document_->setAutosaveIntervalSeconds(AppSettings::autosaveIntervalSeconds());
    canvas_ = new CanvasWidget(document_, this);
    setCentralWidget(canvas_);
    tool_box_ = new ToolBox(document_, canvas_, this);

    image_list_ = new ImageListDock(document_, this);
    classes_ = new ClassesDock(document_, this);
    instances_ = new InstancesDock(document_, this);

    for (int i = 0; i < 6; ++i) menus_[i] = nullptr;
    createMenus();
    createTools();
    createStatusBar();
    addDock(image_list_, Qt::LeftDockWidgetArea);
    addDock(classes_, Qt::RightDockWidgetArea);
    addDock(instances_, Qt::RightDockWidgetArea);
    ModelUi* model = install_model_ui(*this);  // model panel, memory gauge, SAM tool (before restoreState: dock places)
    // Control API, "Unload & Train", the model backend (this machine or a serve host).
    control_api_ = new ControlApiIntegration(this, model->localBackend(), model->gauge(), model->sampler());
    // A server's or a model process's model runs elsewhere; a server gets the images as pixels, a model process reads the files.
    model->setBackend(control_api_->backend(), control_api_->isRemote() || control_api_->isModelProcess());
    install_autolabel_ui(*this, model);  // find bar (Ctrl+F), Tools > Auto-label, review keys

    connect(document_, &AnnotationDocument::dirtyChanged, this, &MainWindow::updateTitle);
    connect(document_, &AnnotationDocument::opened, this, &MainWindow::updateTitle);
    connect(document_, &AnnotationDocument::currentImageChanged, this, &MainWindow::updateTitle);
    connect(document_, &AnnotationDocument::editFailed, this, [this](const QString& m) { showStatus(tr("Edit refused: %1").arg(m)); });
    connect(document_, &AnnotationDocument::saved, this, [this](const QString& file) {
        save_label_->setText(tr("Saved"));
        save_label_->setToolTip(file);
        save_label_->setStyleSheet({});
    });
    connect(document_, &AnnotationDocument::saveFailed, this, [this](const QString& message) {
        save_label_->setText(tr("NOT SAVED"));
        save_label_->setToolTip(message);
        save_label_->setStyleSheet("color: #ff6e64; font-weight: bold;");
        // The edits stay in memory (and undoable); the document stays dirty, so
        // the next autosave or image switch tries again by itself.
        showStatus(tr("Saving failed: %1. Your edits are kept; samlabel saves again at the next autosave or image switch.")
                       .arg(message),
                   0);
    });
    connect(canvas_, &CanvasWidget::imageLoaded, this, [this](bool ok, const QString& error) {
        if (!ok && !error.isEmpty()) showStatus(error, 0);
    });
    connect(canvas_, &CanvasWidget::spaceAccept, this, [this] { acceptOrCancel(true); });
    connect(tool_box_, &ToolBox::statusMessage, this, [this](const QString& text) { showStatus(text); });

    setWindowIcon(applicationIcon());
    // Every action has its default keys now (panels included): remember them, apply the user's.
    ShortcutSettings::rememberDefaultsAndApply(actions());

    // First start: the image list takes most of the left column, the model panel scrolls.
    resizeDocks({image_list_, model->panel()}, {3, 2}, Qt::Vertical);
    fitToScreen(QSize(1500, 920));
    if (restoreGeometry(AppSettings::windowGeometry())) fitToScreen(size());  // saved on a larger screen?
    restoreState(AppSettings::windowState());
    updateTitle();
}

void MainWindow::fitToScreen(QSize wanted) {
    // Laptops: 1366x768 at 100 %, 1920x1080 at 150 % (1280x720 logical). Leave room
    // for the title bar and a taskbar; the window's minimum is smaller than that.
    const QScreen* s = screen() ? screen() : QGuiApplication::primaryScreen();
    if (!s) {
        resize(wanted);
        return;
    }
    const QRect available = s->availableGeometry();
    const QSize room = available.size() - QSize(8, 78);
    const QSize size = wanted.boundedTo(room).expandedTo(minimumSizeHint());
    const bool moved_out = !available.contains(QRect(pos(), size));
    resize(size);
    if (moved_out) move(available.topLeft() + QPoint((available.width() - size.width()) / 2, 0));
}

MainWindow::~MainWindow() = default;

QMenu* MainWindow::menu(MenuId id) const { return menus_[int(id)]; }

void MainWindow::addDock(QDockWidget* dock, Qt::DockWidgetArea area) {
    addDockWidget(area, dock);
    menu(MenuId::View)->addAction(dock->toggleViewAction());
}

void MainWindow::addShortcutAction(QAction* action, MenuId menu_id) {
    action->setShortcutContext(Qt::WindowShortcut);
    menu(menu_id)->addAction(action);
    addAction(action);
}

void MainWindow::createTools() {
    tool_box_->addTool(new SelectTool);
    tool_box_->addTool(new PolygonTool);
    tool_box_->addTool(new BoxTool);
    tool_box_->addTool(new BrushTool(BrushTool::Mode::Paint));
    tool_box_->addTool(new BrushTool(BrushTool::Mode::Erase));
    grabcut_ = new GrabCutTool;
    tool_box_->addTool(grabcut_);
    tool_box_->setPromptTool(grabcut_);
    tool_box_->activate("polygon");

    // W (labelImg) and R (X-AnyLabeling) both draw a box.
    if (QAction* box = tool_box_->action("box")) box->setShortcuts({box->shortcut(), QKeySequence(Qt::Key_R)});

    auto* tools = addToolBar(tr("Tools"));
    tools->setObjectName("tools_toolbar");
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->setIconSize(QSize(22, 22));  // the size the Breeze action icons are drawn for
    for (QAction* action : tool_box_->actions()->actions()) {
        tools->addAction(action);
        addShortcutAction(action, MenuId::Tools);
    }
    tools->addSeparator();
    // Fixed labels: the stack's own actions rename themselves ("Undo Add
    // instance"), which would make the toolbar jump.
    auto* undo = tools->addAction(bundledIcon("edit-undo"), tr("Undo"), document_->undoStack(), &QUndoStack::undo);
    auto* redo = tools->addAction(bundledIcon("edit-redo"), tr("Redo"), document_->undoStack(), &QUndoStack::redo);
    undo->setEnabled(false);
    redo->setEnabled(false);
    connect(document_->undoStack(), &QUndoStack::canUndoChanged, undo, &QAction::setEnabled);
    connect(document_->undoStack(), &QUndoStack::canRedoChanged, redo, &QAction::setEnabled);
    connect(document_->undoStack(), &QUndoStack::undoTextChanged, undo, [undo](const QString& t) { undo->setToolTip(tr("Undo %1 (Ctrl+Z)").arg(t)); });
    connect(document_->undoStack(), &QUndoStack::redoTextChanged, redo, [redo](const QString& t) { redo->setToolTip(tr("Redo %1 (Ctrl+Shift+Z)").arg(t)); });
    tools->addSeparator();
    tools->addWidget(new QLabel(tr(" Mask opacity "), tools));
    opacity_slider_ = new QSlider(Qt::Horizontal, tools);
    opacity_slider_->setObjectName("opacity_slider");
    opacity_slider_->setRange(0, 100);
    opacity_slider_->setValue(qRound(canvas_->maskOpacity() * 100));
    opacity_slider_->setMaximumWidth(140);
    opacity_slider_->setFocusPolicy(Qt::NoFocus);
    connect(opacity_slider_, &QSlider::valueChanged, this, [this](int value) {
        canvas_->setMaskOpacity(value / 100.0);
        AppSettings::setMaskOpacity(value / 100.0);
    });
    tools->addWidget(opacity_slider_);

    auto* q = new QAction(tr("Positive point"), this);
    q->setObjectName("positive_point");
    q->setShortcut(Qt::Key_Q);
    connect(q, &QAction::triggered, this, [this] { tool_box_->usePromptPoints(PointLabel::Positive); });
    addShortcutAction(q, MenuId::Tools);
    auto* e = new QAction(tr("Negative point"), this);
    e->setObjectName("negative_point");
    e->setShortcut(Qt::Key_E);
    connect(e, &QAction::triggered, this, [this] { tool_box_->usePromptPoints(PointLabel::Negative); });
    addShortcutAction(e, MenuId::Tools);
    auto* smaller = new QAction(tr("Smaller brush"), this);
    smaller->setObjectName("smaller_brush");
    smaller->setShortcut(Qt::Key_BracketLeft);
    connect(smaller, &QAction::triggered, this, [this] { changeBrushSize(-1); });
    addShortcutAction(smaller, MenuId::Tools);
    auto* larger = new QAction(tr("Larger brush"), this);
    larger->setObjectName("larger_brush");
    larger->setShortcut(Qt::Key_BracketRight);
    connect(larger, &QAction::triggered, this, [this] { changeBrushSize(+1); });
    addShortcutAction(larger, MenuId::Tools);
}

void MainWindow::createMenus() {
    menus_[int(MenuId::File)] = menuBar()->addMenu(tr("&File"));
    menus_[int(MenuId::Edit)] = menuBar()->addMenu(tr("&Edit"));
    menus_[int(MenuId::View)] = menuBar()->addMenu(tr("&View"));
    menus_[int(MenuId::Image)] = menuBar()->addMenu(tr("&Image"));
    menus_[int(MenuId::Tools)] = menuBar()->addMenu(tr("&Tools"));
    menus_[int(MenuId::Help)] = menuBar()->addMenu(tr("&Help"));

    auto add = [this](MenuId menu_id, const QString& text, QList<QKeySequence> keys, auto slot, const QString& name = {}) {
        auto* action = new QAction(text, this);
        action->setShortcuts(keys);
        if (!name.isEmpty()) action->setObjectName(name);
        connect(action, &QAction::triggered, this, slot);
        addShortcutAction(action, menu_id);
        return action;
    };

    add(MenuId::File, tr("&Open folder..."), {QKeySequence::Open}, [this] { openFolderDialog(); }, "open_folder");
    add(MenuId::File, tr("Open &project file..."), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)}, [this] { openProjectDialog(); },
        "open_project");
    add(MenuId::File, tr("&Save"), {QKeySequence::Save}, [this] {
        commitOpenItemEditors(this);  // a class name being typed is saved too
        if (document_->save()) showStatus(tr("Saved %1").arg(document_->projectFile()));
    }, "save");
    add(MenuId::File, tr("&Export dataset..."), {QKeySequence(Qt::CTRL | Qt::Key_E)}, [this] { showExportDialog(); }, "export_dataset");
    menu(MenuId::File)->addSeparator();
    add(MenuId::File, tr("&Quit"), {QKeySequence::Quit}, [this] { close(); }, "quit");

    QAction* undo = document_->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Z)});
    undo->setObjectName("undo");
    addShortcutAction(undo, MenuId::Edit);
    QAction* redo = document_->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    redo->setObjectName("redo");
    addShortcutAction(redo, MenuId::Edit);
    menu(MenuId::Edit)->addSeparator();
    add(MenuId::Edit, tr("&Delete selected instance"), {QKeySequence::Delete}, [this] { deleteSelected(); }, "delete");
    add(MenuId::Edit, tr("&Accept shape"), {QKeySequence(Qt::Key_Return), QKeySequence(Qt::Key_Enter)},
        [this] { acceptOrCancel(true); }, "accept");
    add(MenuId::Edit, tr("&Cancel shape / deselect"), {QKeySequence(Qt::Key_Escape)}, [this] { acceptOrCancel(false); }, "cancel");
    menu(MenuId::Edit)->addSeparator();
    add(MenuId::Edit, tr("&Preferences..."), {QKeySequence(Qt::CTRL | Qt::Key_Comma)}, [this] { showPreferences(); }, "preferences");

    // Defaults checked against labelme / X-AnyLabeling / labelImg (docs/gui-workspace.md):
    // Ctrl+0 is labelme's "zoom to original", Ctrl+= its zoom in on keyboards where + needs Shift.
    add(MenuId::View, tr("&Fit to window"), {QKeySequence(Qt::Key_F)}, [this] { canvas_->fitToWindow(); }, "fit_to_window");
    add(MenuId::View, tr("&Actual size (1:1)"), {QKeySequence(Qt::Key_0), QKeySequence(Qt::CTRL | Qt::Key_0)},
        [this] { canvas_->actualSize(); }, "actual_size");
    add(MenuId::View, tr("Zoom &in"), {QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal), QKeySequence(Qt::Key_Plus)},
        [this] { canvas_->zoomBy(1.25); }, "zoom_in");
    add(MenuId::View, tr("Zoom &out"), {QKeySequence::ZoomOut, QKeySequence(Qt::Key_Minus)}, [this] { canvas_->zoomBy(0.8); }, "zoom_out");
    menu(MenuId::View)->addSeparator();

    add(MenuId::Image, tr("&Next image"), {QKeySequence(Qt::Key_D)}, [this] { document_->nextImage(); }, "next_image");
    add(MenuId::Image, tr("&Previous image"), {QKeySequence(Qt::Key_A)}, [this] { document_->previousImage(); }, "previous_image");
    menu(MenuId::Image)->addSeparator();
    add(MenuId::Image, tr("Mark &done and go to next"), {QKeySequence(Qt::CTRL | Qt::Key_Return)},
        [this] { markCurrent(int(annotation::ImageStatus::Done), true); }, "mark_done_next");
    add(MenuId::Image, tr("Mark as &new"), {}, [this] { markCurrent(int(annotation::ImageStatus::New), false); }, "mark_new");
    add(MenuId::Image, tr("Mark as &in progress"), {}, [this] { markCurrent(int(annotation::ImageStatus::InProgress), false); },
        "mark_in_progress");
    add(MenuId::Image, tr("Mark as d&one"), {}, [this] { markCurrent(int(annotation::ImageStatus::Done), false); }, "mark_done");
    menu(MenuId::Image)->addSeparator();
    for (int k = 1; k <= 9; ++k) {
        auto* pick = add(MenuId::Image, tr("Class %1").arg(k), {QKeySequence(Qt::Key_0 + k)}, [this, k] { classes_->pickClassAt(k - 1); },
                         QString("pick_class_%1").arg(k));
        pick->setStatusTip(tr("pick the class at position %1").arg(k));
        pick_class_[k - 1] = pick;
    }
    connect(document_, &AnnotationDocument::classesChanged, this, &MainWindow::updateClassActions);
    connect(document_, &AnnotationDocument::opened, this, &MainWindow::updateClassActions);
    updateClassActions();

    add(MenuId::Help, tr("&Keyboard shortcuts"), {QKeySequence(Qt::Key_F1), QKeySequence(Qt::Key_Question)},
        [this] { showShortcuts(); }, "shortcuts");
    add(MenuId::Help, tr("&About samlabel"), {}, [this] { showAbout(); }, "about");
}

void MainWindow::showExportDialog() {
    if (!document_->isOpen()) {
        showStatus(tr("Open a folder of images first"));
        return;
    }
    tool_box_->cancel();  // a half-drawn shape is not part of the project
    commitOpenItemEditors(this);  // a class name being typed is exported too
    ExportDialog dialog(document_, this);
    connect(&dialog, &ExportDialog::trainRequested, this, [this](const QString& dir) {
        // After exec() returns: the training dialog is modal too.
        QMetaObject::invokeMethod(this, [this, dir] { if (control_api_) control_api_->unloadAndTrain(dir); }, Qt::QueuedConnection);
    });
    dialog.exec();
}

void MainWindow::createStatusBar() {
    zoom_label_ = new QLabel(this);
    cursor_label_ = new QLabel(this);
    save_label_ = new QLabel(this);
    save_label_->setObjectName("save_state");
    statusBar()->addPermanentWidget(cursor_label_);
    statusBar()->addPermanentWidget(zoom_label_);
    statusBar()->addPermanentWidget(save_label_);
    connect(canvas_, &CanvasWidget::zoomChanged, this, [this](double scale) { zoom_label_->setText(QString("%1%").arg(qRound(scale * 100))); });
    connect(canvas_, &CanvasWidget::cursorMoved, this, [this](QPointF p) {
        cursor_label_->setText(QString("x %1  y %2").arg(int(std::floor(p.x()))).arg(int(std::floor(p.y()))));
    });
}

bool MainWindow::openFolder(const QString& folder, const QString& project_file) {
    const bool ok = document_->open(folder, project_file);
    const OpenReport& report = document_->report();
    last_open_message_ = ok ? report.text() : report.problem;
    if (ok) {
        AppSettings::setLastFolder(document_->imageFolder());
        showStatus(tr("%n image(s) in %1", "", report.image_count).arg(document_->imageFolder()));
    }
    if (!last_open_message_.isEmpty()) {
        // Non-blocking: the user sees it, the app (and tests) keep running.
        if (open_report_box_) open_report_box_->close();
        open_report_box_ = new QMessageBox(ok ? QMessageBox::Warning : QMessageBox::Critical,
                                           ok ? tr("Project opened with problems") : tr("Cannot open"), last_open_message_,
                                           QMessageBox::Ok, this);
        open_report_box_->setObjectName("open_report");
        open_report_box_->setAttribute(Qt::WA_DeleteOnClose);
        open_report_box_->open();
    }
    canvas_->setFocus();
    return ok;
}

void MainWindow::openFolderDialog() {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a folder of images"), AppSettings::lastFolder());
    if (!folder.isEmpty()) openFolder(folder);
}

void MainWindow::openProjectDialog() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open a samlabel project"), AppSettings::lastFolder(),
                                                      tr("samlabel project (*.json)"));
    if (!file.isEmpty()) openFolder({}, file);
}

void MainWindow::updateClassActions() {
    // The Image menu names the classes keys 1-9 pick (in the Classes list's order).
    const auto& classes = document_->project().classes();
    for (int k = 0; k < 9; ++k) {
        QAction* pick = pick_class_[k];
        if (!pick) continue;
        const bool exists = k < int(classes.size());
        QString name = exists ? QString::fromStdString(classes[std::size_t(k)].name) : tr("(no class)");
        name.replace(QLatin1Char('&'), QStringLiteral("&&"));  // a menu shows "&&" as "&"
        pick->setText(tr("Class %1: %2").arg(k + 1).arg(name));
        pick->setEnabled(exists);
    }
}

void MainWindow::showPreferences() {
    SettingsDialog dialog(actions(), this);
    if (dialog.exec() != QDialog::Accepted) return;
    dialog.store();
    document_->setAutosaveIntervalSeconds(AppSettings::autosaveIntervalSeconds());
    image_list_->thumbnails()->setPixelLimit(std::uint64_t(AppSettings::pixelLimit()));
    if (auto* model = findChild<ModelUi*>()) model->applyPreferences();
}

void MainWindow::showShortcuts() {
    auto* dialog = new ShortcutsDialog(actions(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::showAbout() {
    auto* dialog = new AboutDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::deleteSelected() {
    // While a shape is being drawn, Delete drops it rather than an instance.
    if (tool_box_->activeTool() && tool_box_->activeTool()->hasPendingWork()) {
        tool_box_->cancel();
        return;
    }
    instances_->removeSelected();
}

void MainWindow::acceptOrCancel(bool accept) {
    if (accept) {
        tool_box_->accept();
        return;
    }
    if (!tool_box_->cancel()) document_->setSelectedInstance(0);
}

void MainWindow::changeBrushSize(int delta) {
    const int size = BrushTool::sizePx();
    const int step = std::max(1, size / 8);
    BrushTool::setSizePx(size + delta * step);
    showStatus(tr("Brush size: %1 px").arg(BrushTool::sizePx()), 2000);
    canvas_->update();
}

void MainWindow::markCurrent(int status, bool then_next) {
    image_list_->setCurrentStatus(status);
    if (then_next) document_->nextImage();
}

void MainWindow::showStatus(const QString& text, int timeout_ms) { statusBar()->showMessage(text, timeout_ms); }

void MainWindow::updateTitle() {
    QString title = "samlabel";
    if (document_->isOpen()) {
        title = QString("%1 - %2[*] - samlabel").arg(QFileInfo(document_->imageFolder()).fileName(),
                                                     document_->currentIndex() >= 0 ? document_->displayName(document_->currentIndex()) + " " : QString());
    }
    setWindowTitle(title);
    setWindowModified(document_->isDirty());
    if (document_->isOpen() && document_->isDirty() && document_->lastSaveError().isEmpty()) save_label_->setText(tr("Unsaved"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    tool_box_->cancel();
    commitOpenItemEditors(this);
    if (document_->isOpen() && document_->isDirty() && !document_->save()) {
        const auto answer = QMessageBox::warning(this, tr("Saving failed"),
                                                 tr("The project could not be saved:\n%1\n\nQuit anyway and lose the last edits?")
                                                     .arg(document_->lastSaveError()),
                                                 QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Discard) {
            event->ignore();
            return;
        }
    }
    AppSettings::setWindowGeometry(saveGeometry());
    AppSettings::setWindowState(saveState());
    document_->close();
    event->accept();
}

}  // namespace samlabel::ui
