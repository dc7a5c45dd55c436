#pragma once
// A window-wide shortcut never steals a key from an open editor. Qt asks the
// focus widget first (QEvent::ShortcutOverride), but a line edit only claims
// printable keys: Return, Enter, Escape and Delete went to the window's
// "Accept shape" / "Cancel" / "Delete instance" instead of committing a class
// name or a typed folder. Installed on the application, this claims every key
// without Ctrl, Alt or Meta (and no function key) for a focused text editor
// (QLineEdit, spin boxes, editable text areas, QKeySequenceEdit, editable
// combo boxes, item-view editors, which are one of these): the editor gets
// them, as the user expects. Ctrl shortcuts (Save, Undo...) still work;
// editors already claim the Ctrl keys they use (Ctrl+Z, Ctrl+C...).
#include <QObject>

class QKeyEvent;
class QWidget;

namespace samlabel::ui {

class EditorKeyGuard : public QObject {
    Q_OBJECT
public:
    explicit EditorKeyGuard(QObject* parent = nullptr) : QObject(parent) {}

    // True when `focus` is a widget that types text and is not read-only.
    static bool isTextEditor(const QWidget* focus);
    // True for the keys an editor uses: no Ctrl/Alt/Meta, not F1..F35.
    static bool isEditorKey(const QKeyEvent& event);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
};

}  // namespace samlabel::ui
