#include "ui/dialogs/shortcuts_dialog.h"

#include "ui/input/action_label.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace samlabel::ui {

ShortcutsDialog::ShortcutsDialog(const QList<QAction*>& actions, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Keyboard shortcuts"));
    setObjectName("shortcuts_dialog");
    QList<QPair<QString, QString>> rows;
    for (QAction* action : actions) {
        QStringList keys;
        for (const QKeySequence& k : action->shortcuts())
            if (!k.isEmpty()) keys << k.toString(QKeySequence::NativeText);
        if (keys.isEmpty()) continue;
        QString text = actionLabel(action);
        if (!action->statusTip().isEmpty()) text += QString(" (%1)").arg(action->statusTip());
        rows.append({keys.join(", "), text});
    }
    rows.append({tr("Space (tap)"), tr("Accept the pending shape")});
    rows.append({tr("Space + drag, middle drag"), tr("Pan")});
    rows.append({tr("Wheel"), tr("Zoom around the cursor")});
    rows.append({tr("Backspace"), tr("Remove the last polygon vertex / prompt point")});
    rows.append({tr("Right click"), tr("Negative point (GrabCut/SAM), remove last vertex (polygon)")});
    rows.append({tr("Alt + click vertex"), tr("Delete a vertex (select tool)")});

    auto* table = new QTableWidget(int(rows.size()), 2, this);
    table->setHorizontalHeaderLabels({tr("Keys"), tr("Action")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    for (int r = 0; r < rows.size(); ++r) {
        table->setItem(r, 0, new QTableWidgetItem(rows[r].first));
        table->setItem(r, 1, new QTableWidgetItem(rows[r].second));
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    auto* hint = new QLabel(tr("Change them in Edit > Preferences > Shortcuts."), this);
    layout->addWidget(hint);
    layout->addWidget(table);
    layout->addWidget(buttons);
    resize(620, 520);
}

}  // namespace samlabel::ui
