#include "ui/docks/classes_dock.h"

#include "core/annotation/edit_operations.h"
#include "ui/document/annotation_document.h"
#include "ui/input/open_item_editor.h"

#include <QAbstractItemModel>
#include <algorithm>
#include <QColorDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QTimer>
#include <QHelpEvent>
#include <QToolTip>
#include <QVBoxLayout>

namespace samlabel::ui {
namespace {

QIcon swatch(std::uint32_t rgb) {
    QPixmap pixmap(16, 16);
    pixmap.fill(QColor::fromRgb((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff));
    QPainter painter(&pixmap);
    painter.setPen(Qt::black);
    painter.drawRect(0, 0, 15, 15);
    return QIcon(pixmap);
}

constexpr int kClassIdRole = Qt::UserRole + 1;

}  // namespace

std::uint32_t ClassesDock::paletteColour(int n) {
    // Sasha Trubetskoy's 20 distinct colours (first 12), then golden-angle hues.
    static const std::uint32_t kPalette[] = {0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4,
                                             0x42d4f4, 0xf032e6, 0xbfef45, 0xfabed4, 0x469990, 0xdcbeff};
    constexpr int kCount = int(sizeof(kPalette) / sizeof(kPalette[0]));
    if (n >= 0 && n < kCount) return kPalette[n];
    const QColor colour = QColor::fromHsv(int(n * 137.508) % 360, 200, 230);
    return (std::uint32_t(colour.red()) << 16) | (std::uint32_t(colour.green()) << 8) | std::uint32_t(colour.blue());
}

ClassesDock::ClassesDock(AnnotationDocument* document, QWidget* parent)
    : QDockWidget(tr("Classes"), parent), document_(document) {
    setObjectName("classes_dock");
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(4, 4, 4, 4);
    list_ = new QListWidget(body);
    list_->setObjectName("class_list");
    list_->setDragDropMode(QAbstractItemView::InternalMove);
    list_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    layout->addWidget(list_, 1);

    // Two rows of three: one row of six made the right column (and so the
    // window) wider than a laptop screen leaves it.
    auto* buttons = new QGridLayout;
    buttons->setSpacing(4);
    int placed = 0;
    auto button = [&](const QString& text, const QString& tip, auto slot) {
        auto* b = new QPushButton(text, body);
        b->setToolTip(tip);
        b->setFocusPolicy(Qt::NoFocus);
        connect(b, &QPushButton::clicked, this, slot);
        buttons->addWidget(b, placed / 3, placed % 3);
        ++placed;
        return b;
    };
    button(tr("Add"), tr("Add a class"), [this] { addClass(); });
    button(tr("Rename"), tr("Rename the selected class (F2)"), [this] { renameCurrent(); });
    colour_button_ = button(tr("Colour"), tr("Change the colour of the selected class"), [this] { recolourCurrent(); });
    button(QString::fromUtf8("\u2191"), tr("Move up"), [this] { moveCurrent(-1); });
    button(QString::fromUtf8("\u2193"), tr("Move down"), [this] { moveCurrent(+1); });
    button(tr("Remove"), tr("Remove the class (its instances become unassigned; undoable)"), [this] { removeCurrent(); });
    layout->addLayout(buttons);
    setWidget(body);

    connect(list_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (rebuilding_ || !item) return;
        document_->setCurrentClass(item->data(kClassIdRole).toInt());
    });
    connect(list_, &QListWidget::itemChanged, this, &ClassesDock::onItemChanged);
    // Drag-and-drop reorder: the widget moves its row; turn that into MoveClass
    // once the drop has finished.
    connect(list_->model(), &QAbstractItemModel::rowsMoved, this, [this] { QTimer::singleShot(0, this, &ClassesDock::onRowsMoved); });
    connect(list_->model(), &QAbstractItemModel::rowsInserted, this, [this] {
        if (!rebuilding_) QTimer::singleShot(0, this, &ClassesDock::onRowsMoved);
    });
    connect(document_, &AnnotationDocument::classesChanged, this, &ClassesDock::rebuild);
    // Only the selection follows: rebuilding here replaced the items between
    // the two clicks of a double-click, so no rename started.
    connect(document_, &AnnotationDocument::currentClassChanged, this, &ClassesDock::selectCurrentClass);
    // Instance counts are computed when a tooltip is asked for, not on every
    // edit (a vertex drag edits once per mouse move).
    list_->viewport()->installEventFilter(this);
    rebuild();
}

bool ClassesDock::eventFilter(QObject* watched, QEvent* event) {
    if (watched == list_->viewport() && event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        if (QListWidgetItem* item = list_->itemAt(help->pos())) {
            const annotation::ClassId id = item->data(kClassIdRole).toInt();
            const int row = list_->row(item);
            QToolTip::showText(help->globalPos(),
                               tr("id %1 · %2 instance(s)%3")
                                   .arg(id)
                                   .arg(document_->project().instance_count(id))
                                   .arg(row < 9 ? tr(" · key %1").arg(row + 1) : QString()),
                               list_->viewport());
            return true;
        }
    }
    return QDockWidget::eventFilter(watched, event);
}

void ClassesDock::rebuild() {
    rebuilding_ = true;
    list_->clear();
    const auto& classes = document_->project().classes();
    for (std::size_t i = 0; i < classes.size(); ++i) {
        const auto& cls = classes[i];
        auto* item = new QListWidgetItem(swatch(cls.rgb), QString::fromStdString(cls.name), list_);
        item->setData(kClassIdRole, cls.id);
        item->setFlags(item->flags() | Qt::ItemIsEditable | Qt::ItemIsDragEnabled);
        item->setFlags(item->flags() & ~Qt::ItemIsDropEnabled);
        if (cls.id == document_->currentClass()) list_->setCurrentItem(item);
    }
    rebuilding_ = false;
}

void ClassesDock::selectCurrentClass() {
    rebuilding_ = true;
    for (int row = 0; row < list_->count(); ++row)
        if (list_->item(row)->data(kClassIdRole).toInt() == document_->currentClass()) list_->setCurrentRow(row);
    rebuilding_ = false;
}

void ClassesDock::commitEdit() { commitOpenItemEditor(list_); }

annotation::ClassId ClassesDock::addClass(const QString& name) {
    commitEdit();  // a name being typed is kept, not dropped by the rebuild
    const int n = int(document_->project().classes().size());
    QString chosen = name;
    for (int k = n + 1; chosen.isEmpty() || document_->project().find_class_by_name(chosen.toStdString()); ++k)
        chosen = tr("class %1").arg(k);
    auto op = std::make_unique<annotation::AddClass>(chosen.toStdString(), paletteColour(n));
    auto* raw = op.get();
    if (!document_->apply(std::move(op))) return annotation::kNoClass;
    const annotation::ClassId id = raw->class_id().value_or(annotation::kNoClass);
    document_->setCurrentClass(id);
    if (name.isEmpty()) renameCurrent();
    return id;
}

void ClassesDock::renameCurrent() {
    if (auto* item = list_->currentItem()) list_->editItem(item);
}

void ClassesDock::onItemChanged(QListWidgetItem* item) {
    if (rebuilding_) return;
    const annotation::ClassId id = item->data(kClassIdRole).toInt();
    const auto* cls = document_->project().find_class(id);
    const std::string name = item->text().trimmed().toStdString();
    if (!cls || cls->name == name) return;
    if (!document_->apply(std::make_unique<annotation::RenameClass>(id, name))) rebuild();
}

void ClassesDock::recolourCurrent() {
    commitEdit();
    auto* item = list_->currentItem();
    if (!item) return;
    const annotation::ClassId id = item->data(kClassIdRole).toInt();
    const std::uint32_t rgb = document_->classColour(id);
    const QColor chosen = QColorDialog::getColor(QColor::fromRgb((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff), this,
                                                 tr("Colour of %1").arg(item->text()));
    if (!chosen.isValid()) return;
    const std::uint32_t new_rgb = (std::uint32_t(chosen.red()) << 16) | (std::uint32_t(chosen.green()) << 8) | std::uint32_t(chosen.blue());
    if (new_rgb != rgb) document_->apply(std::make_unique<annotation::RecolourClass>(id, new_rgb));
}

void ClassesDock::moveCurrent(int delta) {
    commitEdit();
    auto* item = list_->currentItem();
    if (!item) return;
    const annotation::ClassId id = item->data(kClassIdRole).toInt();
    const auto index = document_->project().class_index(id);
    if (!index) return;
    const long target = long(*index) + delta;
    if (target < 0 || target >= long(document_->project().classes().size())) return;
    document_->apply(std::make_unique<annotation::MoveClass>(id, std::size_t(target)));
}

void ClassesDock::onRowsMoved() {
    if (rebuilding_) return;
    // The widget reordered its rows after a drop: find the one class whose
    // move reproduces that order and apply it as an undoable MoveClass.
    std::vector<annotation::ClassId> wanted, current;
    for (int row = 0; row < list_->count(); ++row) wanted.push_back(list_->item(row)->data(kClassIdRole).toInt());
    for (const auto& cls : document_->project().classes()) current.push_back(cls.id);
    if (wanted == current || wanted.size() != current.size()) {
        rebuild();
        return;
    }
    for (std::size_t target = 0; target < wanted.size(); ++target) {
        std::vector<annotation::ClassId> trial = current;
        trial.erase(std::find(trial.begin(), trial.end(), wanted[target]));
        trial.insert(trial.begin() + std::ptrdiff_t(target), wanted[target]);
        if (trial == wanted) {
            document_->apply(std::make_unique<annotation::MoveClass>(wanted[target], target));
            return;
        }
    }
    rebuild();
}

void ClassesDock::removeCurrent() {
    commitEdit();
    auto* item = list_->currentItem();
    if (!item) return;
    document_->apply(std::make_unique<annotation::RemoveClass>(item->data(kClassIdRole).toInt()));
}

void ClassesDock::pickClassAt(int position) {
    const auto& classes = document_->project().classes();
    if (position >= 0 && position < int(classes.size())) document_->setCurrentClass(classes[std::size_t(position)].id);
}

}  // namespace samlabel::ui
