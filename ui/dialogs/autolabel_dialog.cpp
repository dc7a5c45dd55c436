#include "ui/dialogs/autolabel_dialog.h"

#include "core/autolabel/apply_proposals.h"
#include "core/service/model_backend.h"
#include "core/service/model_worker.h"
#include "ui/autolabel/autolabel_controller.h"
#include "ui/autolabel/detection_readiness.h"
#include "ui/docks/image_list_dock.h"
#include "ui/docks/image_list_model.h"
#include "ui/document/annotation_document.h"
#include "ui/model/model_ui.h"
#include "ui/tools/prompt_tool.h"

#include <QAbstractItemModel>
#include <QButtonGroup>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <memory>
#include <set>
#include <vector>

namespace samlabel::ui {

namespace {
constexpr int kThisImage = 4;
enum Column { kClassColumn = 0, kPromptColumn, kThresholdColumn };
}  // namespace

AutolabelDialog::AutolabelDialog(AnnotationDocument* document, AutolabelController* controller, ModelUi* model, ImageListDock* images,
                                 QWidget* parent)
    : QDialog(parent), document_(document), controller_(controller), model_(model), images_(images) {
    setObjectName(QStringLiteral("autolabel_dialog"));
    setWindowTitle(tr("Auto-label with SAM3"));
    setModal(false);
    auto* layout = new QVBoxLayout(this);

    auto* scope_box = new QGroupBox(tr("Images"), this);
    auto* scope_layout = new QVBoxLayout(scope_box);
    scope_ = new QButtonGroup(this);
    const std::pair<int, QString> scopes[] = {{int(autolabel::Scope::All), tr("All images")},
                                              {int(autolabel::Scope::Unlabeled), tr("Never annotated only (no instance, not marked done)")},
                                              {int(autolabel::Scope::Selected), tr("The images the image list shows (its filters)")},
                                              {kThisImage, tr("This image")}};
    for (const auto& [id, text] : scopes) {
        auto* b = new QRadioButton(text, scope_box);
        b->setObjectName(QStringLiteral("autolabel_scope_%1").arg(id));
        scope_->addButton(b, id);
        scope_layout->addWidget(b);
    }
    scope_->button(int(autolabel::Scope::Unlabeled))->setChecked(true);
    layout->addWidget(scope_box);

    auto* classes_box = new QGroupBox(tr("Classes (prompt and threshold are saved with the class)"), this);
    auto* classes_layout = new QVBoxLayout(classes_box);
    classes_ = new QTableWidget(0, 3, classes_box);
    classes_->setObjectName(QStringLiteral("autolabel_classes"));
    classes_->setHorizontalHeaderLabels({tr("Class"), tr("Prompt"), tr("Threshold")});
    classes_->horizontalHeader()->setSectionResizeMode(kPromptColumn, QHeaderView::Stretch);
    classes_->verticalHeader()->hide();
    classes_->setMinimumHeight(120);
    classes_layout->addWidget(classes_);
    auto* options = new QFormLayout;
    overlap_iou_ = new QDoubleSpinBox(classes_box);
    overlap_iou_->setObjectName(QStringLiteral("autolabel_overlap_iou"));
    overlap_iou_->setRange(0.05, 1.0);
    overlap_iou_->setSingleStep(0.05);
    overlap_iou_->setValue(autolabel::kDefaultOverlapIou);
    overlap_iou_->setToolTip(tr("A detection covering an instance of its class above this IoU is not proposed"));
    options->addRow(tr("Skip detections overlapping an instance above IoU"), overlap_iou_);
    replace_ = new QCheckBox(tr("Replace those instances instead (overwrites your work)"), classes_box);
    replace_->setObjectName(QStringLiteral("autolabel_replace"));
    options->addRow(QString(), replace_);
    classes_layout->addLayout(options);
    layout->addWidget(classes_box);

    auto* model_box = new QGroupBox(tr("Model"), this);
    auto* model_layout = new QHBoxLayout(model_box);
    readiness_ = new QLabel(tr("Checking the model..."), model_box);
    readiness_->setObjectName(QStringLiteral("autolabel_readiness"));
    readiness_->setWordWrap(true);
    readiness_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    add_detection_ = new QPushButton(tr("Add detection"), model_box);
    add_detection_->setObjectName(QStringLiteral("autolabel_add_detection"));
    add_detection_->setToolTip(tr("Load the detection parts next to the loaded click model (only their tensors are read)"));
    add_detection_->hide();
    model_layout->addWidget(readiness_, 1);
    model_layout->addWidget(add_detection_);
    layout->addWidget(model_box);

    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("autolabel_progress"));
    progress_->setRange(0, 1);
    progress_->setValue(0);
    layout->addWidget(progress_);
    progress_text_ = new QLabel(this);
    progress_text_->setObjectName(QStringLiteral("autolabel_progress_text"));
    progress_text_->setWordWrap(true);
    layout->addWidget(progress_text_);

    auto* buttons = new QDialogButtonBox(this);
    start_ = buttons->addButton(tr("Start"), QDialogButtonBox::ActionRole);
    start_->setObjectName(QStringLiteral("autolabel_start"));
    cancel_ = buttons->addButton(tr("Cancel run"), QDialogButtonBox::ActionRole);
    cancel_->setObjectName(QStringLiteral("autolabel_cancel"));
    cancel_->setEnabled(false);
    buttons->addButton(QDialogButtonBox::Close);
    layout->addWidget(buttons);

    readiness_watcher_ = new QFutureWatcher<DetectionReadiness>(this);
    connect(readiness_watcher_, &QFutureWatcher<DetectionReadiness>::finished, this, [this] {
        const DetectionReadiness r = readiness_watcher_->result();
        identity_ = r.identity;
        readiness_known_ = true;
        readiness_->setText(r.text);
        add_detection_->setVisible(r.can_add);
        updateStartButton();
        if (recheck_) {
            recheck_ = false;
            refreshReadiness();
        }
    });
    connect(start_, &QPushButton::clicked, this, &AutolabelDialog::start);
    connect(cancel_, &QPushButton::clicked, this, &AutolabelDialog::cancel);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::hide);
    connect(add_detection_, &QPushButton::clicked, this, [this] {
        if (!model_) return;
        add_detection_->setEnabled(false);
        readiness_->setText(tr("Adding detection..."));
        addDetectionParts(model_);
    });
    connect(scope_, &QButtonGroup::idClicked, this, &AutolabelDialog::updateStartButton);
    connect(classes_, &QTableWidget::itemChanged, this, &AutolabelDialog::updateStartButton);
    if (model_) {
        // The model the window uses, wherever it runs (the one door).
        connect(model_->backend(), &service::ModelBackend::statusChanged, this, &AutolabelDialog::refreshReadiness);
        connect(model_->backend(), &service::ModelBackend::loadFinished, this, [this] {
            add_detection_->setEnabled(true);
            refreshReadiness();
        });
    }
    connect(document_, &AnnotationDocument::classesChanged, this, [this] {
        if (!controller_ || !controller_->running()) rebuildClasses();
    });
    connect(controller_, &AutolabelController::started, this, [this](int to_do, int done_before) {
        progress_->setRange(0, to_do);
        progress_->setValue(0);
        progress_text_->setText(tr("Starting: %n image(s) to do", "", to_do) +
                                (done_before ? tr(", %n done before with these prompts (skipped)", "", done_before) : QString()));
        updateStartButton();
    });
    connect(controller_, &AutolabelController::progressed, this, [this](const autolabel::RunProgress& p) {
        progress_->setValue(int(p.done + p.failed));
        progress_text_->setText(QString::fromStdString(autolabel::format_progress(p)) + QStringLiteral(" · ") +
                                tr("last: %1").arg(QString::fromStdString(p.image)));
    });
    connect(controller_, &AutolabelController::finished, this, [this](bool, const QString& summary) {
        progress_text_->setText(summary);
        updateStartButton();
    });
    connect(controller_, &AutolabelController::failed, this, [this](const QString& m) { progress_text_->setText(m); });
    rebuildClasses();
    refreshReadiness();
    resize(620, 640);
}

AutolabelDialog::~AutolabelDialog() = default;

QRadioButton* AutolabelDialog::scopeButton(int scope) const { return qobject_cast<QRadioButton*>(scope_->button(scope)); }

void AutolabelDialog::refreshReadiness() {
    if (!model_) return;
    if (readiness_watcher_->isRunning()) {
        recheck_ = true;
        return;
    }
    readiness_known_ = false;
    readiness_watcher_->setFuture(checkDetectionReadiness(model_));
}

void AutolabelDialog::rebuildClasses() {
    const QSignalBlocker block(classes_);
    // Saving the prompts at Start changes the classes and lands here: keep the user's unticked classes unticked.
    std::set<int> unticked;
    for (int row = 0; row < classes_->rowCount(); ++row)
        if (classes_->item(row, kClassColumn)->checkState() != Qt::Checked)
            unticked.insert(classes_->item(row, kClassColumn)->data(Qt::UserRole).toInt());
    classes_->setRowCount(0);
    for (const annotation::LabelClass& c : document_->project().classes()) {
        const int row = classes_->rowCount();
        classes_->insertRow(row);
        auto* name = new QTableWidgetItem(QString::fromStdString(c.name));
        name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        name->setCheckState(unticked.count(int(c.id)) ? Qt::Unchecked : Qt::Checked);
        name->setData(Qt::UserRole, int(c.id));
        classes_->setItem(row, kClassColumn, name);
        classes_->setItem(row, kPromptColumn, new QTableWidgetItem(QString::fromStdString(autolabel::prompt_for_class(c))));
        auto* threshold = new QTableWidgetItem(QString::number(autolabel::threshold_for_class(c), 'f', 2));
        threshold->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        classes_->setItem(row, kThresholdColumn, threshold);
    }
    classes_->resizeColumnToContents(kClassColumn);
    updateStartButton();
}

std::optional<autolabel::Recipe> AutolabelDialog::recipe(QString* why) const {
    if (!identity_) {
        *why = tr("detection is not ready (see Model)");
        return std::nullopt;
    }
    autolabel::Recipe r;
    r.model = *identity_;
    for (int row = 0; row < classes_->rowCount(); ++row) {
        if (classes_->item(row, kClassColumn)->checkState() != Qt::Checked) continue;
        const QString name = classes_->item(row, kClassColumn)->text();
        const QString prompt = classes_->item(row, kPromptColumn)->text().trimmed();
        bool ok = false;
        const float threshold = classes_->item(row, kThresholdColumn)->text().toFloat(&ok);
        if (prompt.isEmpty()) {
            *why = tr("class \"%1\" has an empty prompt").arg(name);
            return std::nullopt;
        }
        if (!ok || threshold < 0.f || threshold > 1.f) {
            *why = tr("class \"%1\": the threshold must be a number from 0 to 1").arg(name);
            return std::nullopt;
        }
        r.classes.push_back({name.toStdString(), prompt.toStdString(), threshold});
    }
    if (r.classes.empty()) {
        *why = tr("tick at least one class");
        return std::nullopt;
    }
    return r;
}

void AutolabelDialog::saveClassPrompts() {
    // Read the whole table first: each edit applied rebuilds the table (classesChanged).
    std::vector<std::unique_ptr<annotation::EditOperation>> edits;
    for (int row = 0; row < classes_->rowCount(); ++row) {
        const annotation::ClassId id = annotation::ClassId(classes_->item(row, kClassColumn)->data(Qt::UserRole).toInt());
        const annotation::LabelClass* c = document_->project().find_class(id);
        if (!c) continue;
        const std::string prompt_text = classes_->item(row, kPromptColumn)->text().trimmed().toStdString();
        const std::string prompt = prompt_text == c->name ? std::string() : prompt_text;
        bool ok = false;
        const float threshold = classes_->item(row, kThresholdColumn)->text().toFloat(&ok);
        if (!ok) continue;
        const std::optional<float> saved = threshold == autolabel::kDefaultThreshold && !c->threshold ? std::nullopt : std::optional<float>(threshold);
        if (prompt != c->prompt || saved != c->threshold) edits.push_back(std::make_unique<autolabel::SetClassPrompt>(id, prompt, saved));
    }
    for (auto& edit : edits) document_->apply(std::move(edit));
}

void AutolabelDialog::start() {
    if (!controller_ || controller_->running()) return;
    QString why;
    const std::optional<autolabel::Recipe> r = recipe(&why);
    if (!r) {
        progress_text_->setText(tr("Cannot start: %1").arg(why));
        return;
    }
    saveClassPrompts();
    AutolabelController::Job job;
    job.recipe = *r;
    job.merge.overlap_iou = overlap_iou_->value();
    job.merge.replace = replace_->isChecked();
    const int scope = scope_->checkedId();
    if (scope == kThisImage) {
        job.scope = autolabel::Scope::Selected;
        if (document_->currentIndex() >= 0) job.selected.insert(document_->currentPath());
    } else if (scope == int(autolabel::Scope::Selected)) {
        job.scope = autolabel::Scope::Selected;
        if (images_) {
            const QAbstractItemModel* shown = images_->view()->model();
            for (int row = 0; row < shown->rowCount(); ++row)
                job.selected.insert(shown->index(row, 0).data(ImageListModel::RelativePathRole).toString().toStdString());
        }
    } else {
        job.scope = autolabel::Scope(scope);
    }
    controller_->start(job);
}

void AutolabelDialog::cancel() {
    if (controller_) controller_->cancel();
}

void AutolabelDialog::updateStartButton() {
    const bool running = controller_ && controller_->running();
    cancel_->setEnabled(running);
    QString why;
    const std::optional<autolabel::Recipe> r = running ? std::nullopt : recipe(&why);
    start_->setEnabled(!running && r.has_value());
    start_->setToolTip(r ? QString() : why);
    if (!r || running) {
        start_->setText(tr("Start"));
        return;
    }
    // Say whether Start resumes a run made with the same model and prompts.
    const std::string id = autolabel::recipe_id(*r);
    int done = 0;
    for (const auto& [path, image] : document_->project().images()) done += image.autolabel && image.autolabel->recipe == id;
    start_->setText(done > 0 ? tr("Resume (%n image(s) done)", "", done) : tr("Start"));
}

}  // namespace samlabel::ui
