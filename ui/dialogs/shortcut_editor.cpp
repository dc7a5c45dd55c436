#include "ui/dialogs/shortcut_editor.h"

#include "ui/dialogs/single_key_edit.h"
#include "ui/input/action_label.h"
#include "ui/settings/shortcut_settings.h"

#include <QAction>
#include <QHeaderView>
#include <QKeySequenceEdit>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace samlabel::ui {
namespace {
constexpr auto kAcceptedProperty = "acceptedKey";  // what the field held before the key being typed

QString rowTitle(const QAction* action) {
    QString title = actionLabel(action);
    if (!action->statusTip().isEmpty()) title += QStringLiteral(" (%1)").arg(action->statusTip());
    return title;
}
}  // namespace

ShortcutEditor::ShortcutEditor(const QList<QAction*>& actions, QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("shortcut_editor"));
    QList<QAction*> named;
    for (QAction* a : actions)
        if (!a->objectName().isEmpty() && !a->isSeparator()) named << a;

    table_ = new QTableWidget(int(named.size()), 1 + ShortcutSettings::kMaxKeysPerAction, this);
    table_->setObjectName(QStringLiteral("shortcut_table"));
    table_->setHorizontalHeaderLabels({tr("Action"), tr("Key"), tr("Alternate"), tr("Alternate")});
    table_->verticalHeader()->hide();
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int c = 1; c <= ShortcutSettings::kMaxKeysPerAction; ++c) table_->setColumnWidth(c, 130);
    for (int r = 0; r < named.size(); ++r) {
        Row row;
        row.action = named[r];
        auto* title = new QTableWidgetItem(rowTitle(row.action));
        title->setToolTip(row.action->toolTip());
        table_->setItem(r, 0, title);
        for (int slot = 0; slot < ShortcutSettings::kMaxKeysPerAction; ++slot) {
            auto* edit = new SingleKeyEdit(table_);
            edit->setObjectName(QStringLiteral("shortcut_%1_%2").arg(row.action->objectName()).arg(slot));
            edit->setClearButtonEnabled(true);
            table_->setCellWidget(r, 1 + slot, edit);
            connect(edit, &QKeySequenceEdit::keySequenceChanged, this, [edit](const QKeySequence& seq) {
                if (seq.isEmpty()) edit->setProperty(kAcceptedProperty, QString());  // the clear button
            });
            connect(edit, &QKeySequenceEdit::editingFinished, this, [this, edit] { onEdited(edit); });
            row.edits << edit;
        }
        fill(row, row.action->shortcuts());
        rows_ << row;
    }
    table_->resizeRowsToContents();

    conflict_ = new QLabel(this);
    conflict_->setObjectName(QStringLiteral("shortcut_conflict"));
    conflict_->setWordWrap(true);
    conflict_->setStyleSheet(QStringLiteral("color: #b00020"));
    conflict_->hide();
    auto* hint = new QLabel(tr("Click a field and press the key (with Ctrl, Shift or Alt if you like). Space, Tab and "
                               "Backspace belong to the canvas (pan and accept, next SAM mask, remove the last point)."),
                            this);
    hint->setWordWrap(true);
    auto* defaults = new QPushButton(tr("Restore defaults"), this);
    defaults->setObjectName(QStringLiteral("restore_default_shortcuts"));
    connect(defaults, &QPushButton::clicked, this, &ShortcutEditor::restoreDefaults);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addWidget(table_, 1);
    layout->addWidget(conflict_);
    layout->addWidget(defaults, 0, Qt::AlignLeft);
}

void ShortcutEditor::fill(const Row& row, const QList<QKeySequence>& keys) {
    for (int slot = 0; slot < row.edits.size(); ++slot) {
        const QKeySequence key = slot < keys.size() ? keys[slot] : QKeySequence();
        row.edits[slot]->setKeySequence(key);
        row.edits[slot]->setProperty(kAcceptedProperty, key.toString(QKeySequence::PortableText));
    }
}

QString ShortcutEditor::holderOf(const QKeySequence& key, const QKeySequenceEdit* except) const {
    for (const Row& row : rows_)
        for (const QKeySequenceEdit* edit : row.edits)
            if (edit != except && edit->keySequence() == key) return rowTitle(row.action);
    return {};
}

void ShortcutEditor::onEdited(QKeySequenceEdit* edit) {
    const QKeySequence key = edit->keySequence();
    const QString before = edit->property(kAcceptedProperty).toString();
    QString refusal;
    if (!key.isEmpty()) {
        const QString text = key.toString(QKeySequence::NativeText);
        if (ShortcutSettings::isReserved(key)) refusal = tr("%1 is the canvas's own key; choose another.").arg(text);
        else if (const QString holder = holderOf(key, edit); !holder.isEmpty())
            refusal = tr("%1 is already the key of \"%2\"; change that one first.").arg(text, holder);
    }
    if (!refusal.isEmpty()) {
        const QSignalBlocker block(edit);
        edit->setKeySequence(QKeySequence::fromString(before, QKeySequence::PortableText));
        conflict_->setText(refusal);
        conflict_->show();
        return;
    }
    conflict_->hide();
    edit->setProperty(kAcceptedProperty, key.toString(QKeySequence::PortableText));
}

void ShortcutEditor::restoreDefaults() {
    for (const Row& row : rows_) fill(row, ShortcutSettings::defaults(row.action));
    conflict_->hide();
}

void ShortcutEditor::apply() const {
    for (const Row& row : rows_) {
        QList<QKeySequence> keys;
        for (const QKeySequenceEdit* edit : row.edits)
            if (!edit->keySequence().isEmpty()) keys << edit->keySequence();
        ShortcutSettings::set(row.action, keys);
    }
}

}  // namespace samlabel::ui
