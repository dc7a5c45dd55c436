#pragma once
// A QKeySequenceEdit that takes one key combination and is done (Qt 6.4's
// waits a second for up to four, which reads as "nothing happened").
#include <QKeyEvent>
#include <QKeySequenceEdit>

namespace samlabel::ui {

class SingleKeyEdit : public QKeySequenceEdit {
    Q_OBJECT
public:
    using QKeySequenceEdit::QKeySequenceEdit;

protected:
    void keyPressEvent(QKeyEvent* event) override {
        const int key = event->key();
        event->accept();
        if (key == Qt::Key_Control || key == Qt::Key_Shift || key == Qt::Key_Alt || key == Qt::Key_Meta ||
            key == Qt::Key_AltGr || key == Qt::Key_unknown || key == 0)
            return;  // a modifier alone: wait for the key it modifies
        Qt::KeyboardModifiers modifiers =
            event->modifiers() & (Qt::ShiftModifier | Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier);
        // "?" is typed with Shift on most layouts: the key is "?", not "Shift+?".
        const QString text = event->text();
        if ((modifiers & Qt::ShiftModifier) && !text.isEmpty() && text.at(0).isPrint() && !text.at(0).isLetterOrNumber() &&
            !text.at(0).isSpace())
            modifiers &= ~Qt::ShiftModifier;
        setKeySequence(QKeySequence(QKeyCombination(modifiers, Qt::Key(key))));
        Q_EMIT editingFinished();
    }
};

}  // namespace samlabel::ui
