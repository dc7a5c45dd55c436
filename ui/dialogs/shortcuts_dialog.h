#pragma once
// F1 / ?: every keyboard shortcut, read from the window's actions (so tools
// added later by other panels appear too) plus the canvas gestures.
#include <QDialog>
#include <QList>

class QAction;

namespace samlabel::ui {

class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    ShortcutsDialog(const QList<QAction*>& actions, QWidget* parent = nullptr);
};

}  // namespace samlabel::ui
