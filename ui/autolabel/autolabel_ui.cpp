#include "ui/autolabel/autolabel_ui.h"

#include "core/autolabel/apply_proposals.h"
#include "ui/autolabel/autolabel_controller.h"
#include "ui/dialogs/autolabel_dialog.h"
#include "ui/document/annotation_document.h"
#include "ui/find/find_panel.h"
#include "ui/find/find_session.h"
#include "ui/find/find_tool.h"
#include "ui/main_window.h"
#include "ui/model/model_ui.h"
#include "ui/tools/prompt_tool.h"
#include "ui/tools/tool_box.h"

#include <QAction>
#include <QMenu>
#include <QStatusBar>

namespace samlabel::ui {

namespace {

bool needs_review(const annotation::ImageAnnotations* image) {
    if (!image) return false;
    for (const auto& inst : image->instances)
        if (inst.review == annotation::ReviewState::Pending) return true;
    return false;
}

}  // namespace

AutolabelUi::AutolabelUi(MainWindow& window, ModelUi* model)
    : QObject(&window), window_(window), document_(window.document()), model_(model) {
    auto backend = [this]() -> std::pair<service::ModelBackend*, bool> {
        if (!model_) return {nullptr, false};
        return {model_->backend(), model_->uploadsImages()};  // a model process reads the files itself
    };
    session_ = new FindSession(document_, backend, this);
    tool_ = new FindTool(session_);
    window.toolBox()->addTool(tool_);
    panel_ = new FindPanel(document_, session_, tool_, window.toolBox(), &window);
    // Under the image list: the right column has no height to spare on a
    // laptop screen (test_window_fits).
    window.addDock(panel_, Qt::LeftDockWidgetArea);
    panel_->hide();  // Ctrl+F shows it
    controller_ = new AutolabelController(document_, backend, this);

    auto* find = new QAction(tr("&Find..."), this);
    find->setObjectName(QStringLiteral("find"));
    find->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    find->setStatusTip(tr("find every instance of a text or of example boxes on this image (SAM3)"));
    connect(find, &QAction::triggered, panel_, &FindPanel::activate);
    window.addShortcutAction(find, MainWindow::MenuId::Edit);

    auto* autolabel = new QAction(tr("&Auto-label..."), this);
    autolabel->setObjectName(QStringLiteral("autolabel"));
    autolabel->setStatusTip(tr("find every class's prompt on many images (SAM3), keeping what is labeled"));
    connect(autolabel, &QAction::triggered, this, &AutolabelUi::showDialog);
    window.menu(MainWindow::MenuId::Tools)->addSeparator();
    window.addShortcutAction(autolabel, MainWindow::MenuId::Tools);

    auto* next = new QAction(tr("Next image to &review"), this);
    next->setObjectName(QStringLiteral("next_review"));
    next->setShortcut(QKeySequence(Qt::Key_U));  // U: unreviewed
    next->setStatusTip(tr("go to the next image with auto-label proposals nobody reviewed yet"));
    connect(next, &QAction::triggered, this, [this] {
        if (!nextNeedingReview()) window_.statusBar()->showMessage(tr("No image has proposals to review"), 4000);
    });
    window.menu(MainWindow::MenuId::Image)->addSeparator();
    window.addShortcutAction(next, MainWindow::MenuId::Image);
    auto* accept = new QAction(tr("Accept proposals and go to the next to review"), this);
    accept->setObjectName(QStringLiteral("accept_review"));
    accept->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    accept->setStatusTip(tr("mark this image's auto-label proposals reviewed (delete the bad ones first)"));
    connect(accept, &QAction::triggered, this, &AutolabelUi::acceptReviewAndNext);
    window.addShortcutAction(accept, MainWindow::MenuId::Image);
}

AutolabelDialog* AutolabelUi::dialog() {
    if (!dialog_) dialog_ = new AutolabelDialog(document_, controller_, model_, window_.imageListDock(), &window_);
    return dialog_;
}

void AutolabelUi::showDialog() {
    AutolabelDialog* d = dialog();
    d->rebuildClasses();
    d->refreshReadiness();
    d->show();
    d->raise();
    d->activateWindow();
}

bool AutolabelUi::nextNeedingReview() {
    const int n = document_->imageCount();
    const int current = document_->currentIndex();
    for (int step = 1; step <= n; ++step) {
        const int index = (std::max(current, -1) + step + n) % n;
        if (index == current) continue;
        if (needs_review(document_->annotations(index))) {
            document_->setCurrentIndex(index);
            return true;
        }
    }
    return false;
}

void AutolabelUi::acceptReviewAndNext() {
    const annotation::ImageAnnotations* image = document_->currentAnnotations();
    if (needs_review(image)) {
        std::vector<std::uint64_t> ids;
        for (const auto& inst : image->instances)
            if (inst.review == annotation::ReviewState::Pending) ids.push_back(inst.id);
        document_->apply(std::make_unique<autolabel::MarkReviewed>(document_->currentPath(), std::move(ids)));
    }
    if (!nextNeedingReview()) window_.statusBar()->showMessage(tr("Every proposal is reviewed"), 4000);
}

AutolabelUi* install_autolabel_ui(MainWindow& window, ModelUi* model) { return new AutolabelUi(window, model); }

}  // namespace samlabel::ui
