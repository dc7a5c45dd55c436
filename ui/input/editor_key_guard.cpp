#include "ui/input/editor_key_guard.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QKeyEvent>
#include <QKeySequenceEdit>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTextEdit>

namespace samlabel::ui {

bool EditorKeyGuard::isTextEditor(const QWidget* focus) {
    if (!focus || !focus->isEnabled()) return false;
    if (const auto* line = qobject_cast<const QLineEdit*>(focus)) return !line->isReadOnly();
    if (const auto* spin = qobject_cast<const QAbstractSpinBox*>(focus)) return !spin->isReadOnly();
    if (const auto* text = qobject_cast<const QTextEdit*>(focus)) return !text->isReadOnly();
    if (const auto* plain = qobject_cast<const QPlainTextEdit*>(focus)) return !plain->isReadOnly();
    if (const auto* combo = qobject_cast<const QComboBox*>(focus)) return combo->isEditable();
    return qobject_cast<const QKeySequenceEdit*>(focus) != nullptr;
}

bool EditorKeyGuard::isEditorKey(const QKeyEvent& event) {
    if (event.modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier)) return false;
    return !(event.key() >= Qt::Key_F1 && event.key() <= Qt::Key_F35);
}

bool EditorKeyGuard::eventFilter(QObject* watched, QEvent* event) {
    // Sent to the focus widget before any shortcut fires; accepting it hands
    // the key to that widget. (It also travels up to the parents: only the
    // focus widget itself decides.)
    if (event->type() == QEvent::ShortcutOverride && watched->isWidgetType()) {
        auto* widget = static_cast<QWidget*>(watched);
        if (widget->hasFocus() && isTextEditor(widget) && isEditorKey(*static_cast<QKeyEvent*>(event))) {
            event->accept();
            return true;
        }
    }
    return QObject::eventFilter(watched, event);
}

}  // namespace samlabel::ui
