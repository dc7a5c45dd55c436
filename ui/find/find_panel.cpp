#include "ui/find/find_panel.h"

#include "core/annotation/edit_operations.h"
#include "core/autolabel/apply_proposals.h"
#include "core/autolabel/autolabel_recipe.h"
#include "ui/document/annotation_document.h"
#include "ui/find/find_session.h"
#include "ui/find/find_tool.h"
#include "ui/tools/prompt_tool.h"  // tool_box.h's inline promptTool() needs the complete type
#include "ui/tools/tool_box.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace samlabel::ui {

namespace {
constexpr int kCandidateRole = Qt::UserRole + 1;
}

int FindPanel::sliderValue(float threshold) { return int(std::lround(threshold * 100.f)); }
float FindPanel::thresholdOf(int slider_value) { return float(slider_value) / 100.f; }

FindPanel::FindPanel(AnnotationDocument* document, FindSession* session, FindTool* tool, ToolBox* tools, QWidget* parent)
    : QDockWidget(tr("Find"), parent), document_(document), session_(session), tool_(tool), tools_(tools) {
    setObjectName(QStringLiteral("find_dock"));
    // Taller than a laptop screen leaves it beside the other panels: it scrolls
    // instead of squeezing them (as the model panel does).
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("find_scroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* body = new QWidget(scroll);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(4, 4, 4, 4);

    auto* prompt_row = new QHBoxLayout;
    text_ = new QLineEdit(body);
    text_->setObjectName(QStringLiteral("find_text"));
    text_->setPlaceholderText(tr("Find every... (e.g. car)"));
    text_->setClearButtonEnabled(true);
    find_ = new QPushButton(tr("Find"), body);
    find_->setObjectName(QStringLiteral("find_button"));
    find_->setToolTip(tr("Run SAM3 once on this image (Enter)"));
    prompt_row->addWidget(text_, 1);
    prompt_row->addWidget(find_);
    layout->addLayout(prompt_row);

    auto* box_row = new QHBoxLayout;
    positive_box_ = new QToolButton(body);
    positive_box_->setObjectName(QStringLiteral("find_positive_box"));
    positive_box_->setText(tr("+ Box"));
    positive_box_->setToolTip(tr("Drag example boxes on the image: more like this"));
    positive_box_->setCheckable(true);
    negative_box_ = new QToolButton(body);
    negative_box_->setObjectName(QStringLiteral("find_negative_box"));
    negative_box_->setText(tr("- Box"));
    negative_box_->setToolTip(tr("Drag counter-examples on the image: not like this (Shift+drag does too)"));
    negative_box_->setCheckable(true);
    clear_boxes_ = new QToolButton(body);
    clear_boxes_->setText(tr("Clear"));
    clear_boxes_->setToolTip(tr("Remove the example boxes (Esc on the canvas)"));
    boxes_label_ = new QLabel(tr("no example boxes"), body);
    box_row->addWidget(positive_box_);
    box_row->addWidget(negative_box_);
    box_row->addWidget(clear_boxes_);
    box_row->addWidget(boxes_label_, 1);
    layout->addLayout(box_row);

    auto* threshold_row = new QHBoxLayout;
    threshold_row->addWidget(new QLabel(tr("Score"), body));
    threshold_ = new QSlider(Qt::Horizontal, body);
    threshold_->setObjectName(QStringLiteral("find_threshold"));
    threshold_->setRange(sliderValue(FindSession::kScoreFloor), 100);
    threshold_->setValue(sliderValue(session_->threshold()));
    threshold_->setToolTip(tr("Show candidates scoring above this; filters at once, without running the model again"));
    threshold_label_ = new QLabel(body);
    threshold_label_->setMinimumWidth(44);
    threshold_row->addWidget(threshold_, 1);
    threshold_row->addWidget(threshold_label_);
    layout->addLayout(threshold_row);

    list_ = new QListWidget(body);
    list_->setObjectName(QStringLiteral("find_results"));
    list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    layout->addWidget(list_, 1);

    auto* class_row = new QHBoxLayout;
    class_row->addWidget(new QLabel(tr("Accept as"), body));
    class_ = new QComboBox(body);
    class_->setObjectName(QStringLiteral("find_class"));
    class_row->addWidget(class_, 1);
    layout->addLayout(class_row);
    replace_ = new QCheckBox(tr("Replace overlapping instances"), body);
    replace_->setObjectName(QStringLiteral("find_replace"));
    replace_->setToolTip(tr("Off: a candidate covering an instance of the class (mask IoU above the value beside) is hidden, "
                            "so nothing you labeled is overwritten. On: it is shown, and accepting it replaces that instance."));
    overlap_iou_ = new QDoubleSpinBox(body);
    overlap_iou_->setObjectName(QStringLiteral("find_overlap_iou"));
    overlap_iou_->setRange(0.05, 1.0);
    overlap_iou_->setSingleStep(0.05);
    overlap_iou_->setDecimals(2);
    overlap_iou_->setValue(session_->overlapIou());
    overlap_iou_->setToolTip(tr("A candidate whose mask overlaps an instance of the class above this IoU covers it"));
    auto* overlap_row = new QHBoxLayout;
    overlap_row->addWidget(replace_, 1);
    overlap_row->addWidget(new QLabel(tr("IoU above"), body));
    overlap_row->addWidget(overlap_iou_);
    layout->addLayout(overlap_row);

    auto* buttons = new QGridLayout;
    accept_all_ = new QPushButton(tr("Accept all"), body);
    accept_all_->setObjectName(QStringLiteral("find_accept_all"));
    accept_selected_ = new QPushButton(tr("Accept selected"), body);
    accept_selected_->setObjectName(QStringLiteral("find_accept_selected"));
    reject_ = new QPushButton(tr("Reject"), body);
    reject_->setObjectName(QStringLiteral("find_reject"));
    reject_->setToolTip(tr("Drop the selected candidates (all when none is selected)"));
    save_prompt_ = new QPushButton(tr("Save as class prompt"), body);
    save_prompt_->setObjectName(QStringLiteral("find_save_prompt"));
    save_prompt_->setToolTip(tr("Keep this text and score threshold as the class's prompt (used by Auto-label)"));
    buttons->addWidget(accept_all_, 0, 0);
    buttons->addWidget(accept_selected_, 0, 1);
    buttons->addWidget(reject_, 1, 0);
    buttons->addWidget(save_prompt_, 1, 1);
    layout->addLayout(buttons);
    status_ = new QLabel(body);
    status_->setObjectName(QStringLiteral("find_status"));
    status_->setWordWrap(true);
    layout->addWidget(status_);
    scroll->setWidget(body);
    scroll->setMinimumWidth(body->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    setWidget(scroll);

    connect(text_, &QLineEdit::returnPressed, this, &FindPanel::runFind);
    connect(text_, &QLineEdit::textEdited, this, &FindPanel::onTextEdited);
    connect(find_, &QPushButton::clicked, this, &FindPanel::runFind);
    auto box_mode = [this](bool negative) {
        positive_box_->setChecked(!negative);
        negative_box_->setChecked(negative);
        tool_->setNegativeBoxes(negative);
        tools_->activate(tool_->id());
    };
    connect(positive_box_, &QToolButton::clicked, this, [box_mode] { box_mode(false); });
    connect(negative_box_, &QToolButton::clicked, this, [box_mode] { box_mode(true); });
    connect(clear_boxes_, &QToolButton::clicked, tool_, &FindTool::clearBoxes);
    connect(tool_, &FindTool::boxesChanged, this, [this](int n) {
        boxes_label_->setText(n == 0 ? tr("no example boxes") : tr("%n example box(es)", "", n));
    });
    connect(threshold_, &QSlider::valueChanged, this, [this](int value) {
        threshold_label_->setText(QStringLiteral("> %1").arg(thresholdOf(value), 0, 'f', 2));
        session_->setThreshold(thresholdOf(value));
    });
    threshold_label_->setText(QStringLiteral("> %1").arg(session_->threshold(), 0, 'f', 2));
    connect(class_, &QComboBox::activated, this, [this] { class_chosen_by_user_ = true; });
    connect(class_, &QComboBox::currentIndexChanged, this, [this] {
        if (!rebuilding_) session_->setTargetClass(annotation::ClassId(class_->currentData().toInt()));
    });
    connect(replace_, &QCheckBox::toggled, session_, &FindSession::setReplace);
    connect(overlap_iou_, &QDoubleSpinBox::valueChanged, session_, &FindSession::setOverlapIou);
    connect(accept_all_, &QPushButton::clicked, this, &FindPanel::acceptAll);
    connect(accept_selected_, &QPushButton::clicked, this, &FindPanel::acceptSelected);
    connect(reject_, &QPushButton::clicked, this, &FindPanel::rejectSelected);
    connect(save_prompt_, &QPushButton::clicked, this, &FindPanel::savePrompt);
    connect(list_, &QListWidget::itemSelectionChanged, this, &FindPanel::syncSelectionToTool);
    connect(tool_, &FindTool::candidateClicked, this, [this](int candidate, bool additive) {
        if (!additive) list_->clearSelection();
        for (int row = 0; row < list_->count(); ++row)
            if (list_->item(row)->data(kCandidateRole).toInt() == candidate) {
                list_->item(row)->setSelected(true);
                list_->scrollToItem(list_->item(row));
            }
    });
    connect(session_, &FindSession::candidatesChanged, this, &FindPanel::rebuildList);
    connect(session_, &FindSession::busyChanged, this, [this](bool busy) {
        find_->setEnabled(!busy);
        if (busy) showStatus(tr("Finding \"%1\"...").arg(text_->text().trimmed().isEmpty() ? tr("example boxes") : text_->text().trimmed()));
    });
    connect(session_, &FindSession::failed, this, [this](const QString& m) { showStatus(tr("Find: %1").arg(m)); });
    connect(session_, &FindSession::finished, this, [this] {
        message_.clear();
        // A class with a saved threshold brings it along.
        if (const annotation::LabelClass* cls = document_->project().find_class(session_->targetClass()); cls && cls->threshold)
            threshold_->setValue(sliderValue(*cls->threshold));
        rebuildList();
    });
    connect(document_, &AnnotationDocument::classesChanged, this, &FindPanel::rebuildClasses);
    connect(document_, &AnnotationDocument::opened, this, &FindPanel::rebuildClasses);
    rebuildClasses();
    rebuildList();
}

void FindPanel::activate() {
    show();
    raise();
    if (tools_ && tool_) tools_->activate(tool_->id());
    text_->setFocus(Qt::ShortcutFocusReason);
    text_->selectAll();
}

void FindPanel::runFind() {
    if (tools_ && tool_) tools_->activate(tool_->id());  // the candidates show on the canvas
    message_.clear();
    if (!class_chosen_by_user_ || class_->currentData().toInt() == annotation::kNoClass) onTextEdited(text_->text());
    session_->find(text_->text(), tool_->boxes());
}

void FindPanel::onTextEdited(const QString& text) {
    const annotation::ClassId match = session_->matchingClass(text);
    if (match == annotation::kNoClass && class_chosen_by_user_) return;
    class_chosen_by_user_ = false;
    const int row = class_->findData(int(match));
    class_->setCurrentIndex(row >= 0 ? row : 0);
}

void FindPanel::rebuildClasses() {
    rebuilding_ = true;
    const int current = class_->currentData().isValid() ? class_->currentData().toInt() : annotation::kNoClass;
    class_->clear();
    class_->addItem(tr("Ask when accepting..."), int(annotation::kNoClass));
    for (const annotation::LabelClass& c : document_->project().classes())
        class_->addItem(QString::fromStdString(c.name), int(c.id));
    const int row = class_->findData(current);
    class_->setCurrentIndex(row >= 0 ? row : 0);
    rebuilding_ = false;
    session_->setTargetClass(annotation::ClassId(class_->currentData().toInt()));
}

void FindPanel::rebuildList() {
    const QSet<int> keep = tool_ ? tool_->selected() : QSet<int>();
    const QSignalBlocker block(list_);
    list_->clear();
    for (int index : session_->visible()) {
        const FindCandidate& c = session_->candidates()[std::size_t(index)];
        auto* item = new QListWidgetItem(QStringLiteral("%1   %2 x %3 px   query %4")
                                             .arg(c.score, 0, 'f', 2)
                                             .arg(qRound(c.box.width()))
                                             .arg(qRound(c.box.height()))
                                             .arg(c.query),
                                         list_);
        item->setData(kCandidateRole, index);
        item->setSelected(keep.contains(index));
    }
    const int shown = int(session_->visible().size());
    const bool have = shown > 0;
    accept_all_->setEnabled(have);
    accept_selected_->setEnabled(have);
    reject_->setEnabled(have);
    if (!message_.isEmpty()) {
        status_->setText(message_);
    } else if (!session_->candidates().empty() || !session_->imagePath().empty()) {
        QString text = tr("%n candidate(s) above %1", "", shown).arg(session_->threshold(), 0, 'f', 2);
        if (session_->hiddenByOverlap() > 0) {
            const annotation::LabelClass* cls = document_->project().find_class(session_->targetClass());
            text += tr("; %n hidden: they overlap an existing %1 (tick Replace to see them)", "", session_->hiddenByOverlap())
                        .arg(cls ? QString::fromStdString(cls->name) : QString());
        }
        status_->setText(text);
    } else if (!session_->busy()) {
        status_->setText(tr("Type what to find and press Enter, or draw example boxes."));
    }
    syncSelectionToTool();
}

void FindPanel::syncSelectionToTool() {
    if (!tool_) return;
    QSet<int> selected;
    for (QListWidgetItem* item : list_->selectedItems()) selected.insert(item->data(kCandidateRole).toInt());
    tool_->setSelected(selected);
    accept_selected_->setEnabled(!selected.isEmpty());
}

annotation::ClassId FindPanel::classForAccept() {
    const annotation::ClassId chosen = annotation::ClassId(class_->currentData().toInt());
    if (chosen != annotation::kNoClass) return chosen;
    // No class matches the prompt: ask, offering a new class named after it.
    QStringList options;
    const QString text = session_->searchedText();
    const QString create = tr("New class \"%1\"").arg(text);
    if (!text.isEmpty() && !document_->project().find_class_by_name(text.toStdString())) options << create;
    for (const annotation::LabelClass& c : document_->project().classes()) options << QString::fromStdString(c.name);
    if (options.isEmpty()) return annotation::kNoClass;
    bool ok = false;
    const QString picked = QInputDialog::getItem(this, tr("Accept as which class?"),
                                                 tr("No class is named or prompted \"%1\". Accept the detections as:").arg(text), options, 0, false, &ok);
    if (!ok) return annotation::kNoClass;
    if (picked == create) {
        auto add = std::make_unique<annotation::AddClass>(text.toStdString(), autolabel::unused_class_colour(document_->project()));
        annotation::AddClass* raw = add.get();
        if (!document_->apply(std::move(add))) return annotation::kNoClass;
        const annotation::ClassId id = *raw->class_id();
        class_->setCurrentIndex(class_->findData(int(id)));
        return id;
    }
    const annotation::LabelClass* cls = document_->project().find_class_by_name(picked.toStdString());
    if (!cls) return annotation::kNoClass;
    class_->setCurrentIndex(class_->findData(int(cls->id)));
    class_chosen_by_user_ = true;
    return cls->id;
}

void FindPanel::acceptAll() {
    if (session_->visible().empty()) return;
    const annotation::ClassId cls = classForAccept();
    if (cls == annotation::kNoClass) return;
    session_->setTargetClass(cls);
    const int n = session_->accept(session_->visible());
    message_.clear();
    if (n == 0) showStatus(tr("Nothing accepted"));
}

void FindPanel::acceptSelected() {
    std::vector<int> chosen;
    for (QListWidgetItem* item : list_->selectedItems()) chosen.push_back(item->data(kCandidateRole).toInt());
    if (chosen.empty()) return;
    const annotation::ClassId cls = classForAccept();
    if (cls == annotation::kNoClass) return;
    session_->setTargetClass(cls);
    session_->accept(chosen);
    message_.clear();
}

void FindPanel::rejectSelected() {
    std::vector<int> chosen;
    for (QListWidgetItem* item : list_->selectedItems()) chosen.push_back(item->data(kCandidateRole).toInt());
    if (chosen.empty()) chosen = session_->visible();
    session_->reject(chosen);
}

void FindPanel::savePrompt() {
    const QString text = text_->text().trimmed();
    if (text.isEmpty()) return showStatus(tr("Type the prompt to save first"));
    session_->setTargetClass(annotation::ClassId(class_->currentData().toInt()));
    const annotation::ClassId cls = classForAccept();
    if (cls == annotation::kNoClass) return;
    const QString name = QString::fromStdString(document_->project().find_class(cls)->name);
    // The class name itself needs no saved prompt; the threshold is kept either way.
    const std::string prompt = text == name ? std::string() : text.toStdString();
    if (document_->apply(std::make_unique<autolabel::SetClassPrompt>(cls, prompt, session_->threshold())))
        showStatus(tr("Class \"%1\" is searched as \"%2\" above %3").arg(name, text).arg(session_->threshold(), 0, 'f', 2));
}

void FindPanel::showStatus(const QString& text) {
    message_ = text;
    status_->setText(text);
}

}  // namespace samlabel::ui
