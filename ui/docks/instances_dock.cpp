#include "ui/docks/instances_dock.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/mask_geometry.h"
#include "ui/document/annotation_document.h"

#include <QComboBox>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace samlabel::ui {
namespace {

constexpr int kInstanceIdRole = Qt::UserRole + 1;

QString sourceName(annotation::InstanceSource source) {
    switch (source) {
        case annotation::InstanceSource::GrabCut: return "grabcut";
        case annotation::InstanceSource::Sam3: return "sam3";
        case annotation::InstanceSource::Sam3Detect: return "sam3-detect";
        case annotation::InstanceSource::Manual: break;
    }
    return "manual";
}

}  // namespace

InstancesDock::InstancesDock(AnnotationDocument* document, QWidget* parent)
    : QDockWidget(tr("Instances"), parent), document_(document) {
    setObjectName("instances_dock");
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(4, 4, 4, 4);
    table_ = new QTableWidget(0, 4, body);
    table_->setObjectName("instance_table");
    table_->setHorizontalHeaderLabels({tr("#"), tr("Class"), tr("Area (px)"), tr("Source")});
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    table_->setMinimumHeight(120);
    table_->verticalHeader()->setDefaultSectionSize(26);
    layout->addWidget(table_, 1);
    auto* remove = new QPushButton(tr("Delete instance"), body);
    remove->setFocusPolicy(Qt::NoFocus);
    layout->addWidget(remove);
    setWidget(body);

    connect(remove, &QPushButton::clicked, this, &InstancesDock::removeSelected);
    connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
        if (rebuilding_) return;
        const auto rows = table_->selectionModel()->selectedRows();
        document_->setSelectedInstance(rows.isEmpty() ? 0 : table_->item(rows.front().row(), 0)->data(kInstanceIdRole).toULongLong());
    });
    connect(document_, &AnnotationDocument::currentImageChanged, this, &InstancesDock::rebuild);
    connect(document_, &AnnotationDocument::classesChanged, this, &InstancesDock::rebuild);
    connect(document_, &AnnotationDocument::annotationsChanged, this, [this](int index) {
        if (index == document_->currentIndex() || index < 0) refresh();
    });
    connect(document_, &AnnotationDocument::selectionChanged, this, &InstancesDock::syncSelection);
    rebuild();
}

void InstancesDock::rebuild() {
    rebuilding_ = true;
    table_->setRowCount(0);
    const auto* image = document_->currentAnnotations();
    if (image) {
        const auto& classes = document_->project().classes();
        table_->setRowCount(int(image->instances.size()));
        for (int row = 0; row < int(image->instances.size()); ++row) {
            const auto& instance = image->instances[std::size_t(row)];
            auto* number = new QTableWidgetItem(QString::number(row + 1));
            number->setData(kInstanceIdRole, QVariant::fromValue<qulonglong>(instance.id));
            table_->setItem(row, 0, number);
            auto* combo = new QComboBox(table_);
            combo->setFocusPolicy(Qt::NoFocus);
            for (const auto& cls : classes) {
                QPixmap swatch(12, 12);
                swatch.fill(QColor::fromRgb(cls.rgb | 0xff000000u));
                combo->addItem(QIcon(swatch), QString::fromStdString(cls.name), cls.id);
            }
            if (!document_->project().find_class(instance.class_id)) combo->addItem(tr("(unassigned)"), annotation::kNoClass);
            combo->setCurrentIndex(combo->findData(instance.class_id));
            const std::uint64_t id = instance.id;
            connect(combo, &QComboBox::activated, this, [this, combo, id] {
                const int class_id = combo->currentData().toInt();
                const auto* inst = document_->project().find_instance(document_->currentPath(), id);
                if (inst && inst->class_id != class_id)
                    document_->apply(std::make_unique<annotation::ChangeInstanceClass>(document_->currentPath(), id, class_id));
            });
            table_->setCellWidget(row, 1, combo);
            auto* area = new QTableWidgetItem(QString::number(qRound64(annotation::instance_area(instance))));
            area->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            table_->setItem(row, 2, area);
            table_->setItem(row, 3, new QTableWidgetItem(sourceName(instance.source)));
        }
    }
    rebuilding_ = false;
    syncSelection();
}

void InstancesDock::refresh() {
    // Same instances in the same order (a vertex drag, a class change): update
    // the cells in place instead of recreating a combo box per row per mouse move.
    const auto* image = document_->currentAnnotations();
    if (!image || int(image->instances.size()) != table_->rowCount()) {
        rebuild();
        return;
    }
    for (int row = 0; row < table_->rowCount(); ++row) {
        if (table_->item(row, 0)->data(kInstanceIdRole).toULongLong() != image->instances[std::size_t(row)].id) {
            rebuild();
            return;
        }
    }
    rebuilding_ = true;
    for (int row = 0; row < table_->rowCount(); ++row) {
        const auto& instance = image->instances[std::size_t(row)];
        auto* combo = qobject_cast<QComboBox*>(table_->cellWidget(row, 1));
        const int class_index = combo ? combo->findData(instance.class_id) : -1;
        if (class_index < 0) {
            rebuilding_ = false;
            rebuild();
            return;
        }
        combo->setCurrentIndex(class_index);
        table_->item(row, 2)->setText(QString::number(qRound64(annotation::instance_area(instance))));
        table_->item(row, 3)->setText(sourceName(instance.source));
    }
    rebuilding_ = false;
}

void InstancesDock::syncSelection() {
    rebuilding_ = true;
    const std::uint64_t selected = document_->selectedInstance();
    table_->clearSelection();
    for (int row = 0; row < table_->rowCount(); ++row) {
        if (table_->item(row, 0)->data(kInstanceIdRole).toULongLong() == selected) {
            table_->selectRow(row);
            table_->scrollToItem(table_->item(row, 0));
            break;
        }
    }
    rebuilding_ = false;
}

void InstancesDock::changeSelectedClass(int class_id) {
    const std::uint64_t id = document_->selectedInstance();
    const auto* inst = id ? document_->project().find_instance(document_->currentPath(), id) : nullptr;
    if (inst && inst->class_id != class_id)
        document_->apply(std::make_unique<annotation::ChangeInstanceClass>(document_->currentPath(), id, class_id));
}

void InstancesDock::removeSelected() {
    const std::uint64_t id = document_->selectedInstance();
    if (id != 0) document_->apply(std::make_unique<annotation::RemoveInstance>(document_->currentPath(), id));
}

}  // namespace samlabel::ui
