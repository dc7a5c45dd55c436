#pragma once
// Preferences > Shortcuts: one row per window action, up to three keys each in
// QKeySequenceEdits (one key combination per field; the clear button empties
// it). A key another action (or a canvas gesture) already uses is refused at
// once: the field goes back to what it held and a line says who has the key.
// Nothing changes until apply() (the dialog's OK).
#include <QList>
#include <QWidget>

class QAction;
class QKeySequenceEdit;
class QLabel;
class QTableWidget;

namespace samlabel::ui {

class ShortcutEditor : public QWidget {
    Q_OBJECT
public:
    explicit ShortcutEditor(const QList<QAction*>& actions, QWidget* parent = nullptr);
    void apply() const;     // sets and stores every action's keys
    void restoreDefaults(); // in the fields only; apply() makes it so

private:
    struct Row {
        QAction* action = nullptr;
        QList<QKeySequenceEdit*> edits;
    };
    void fill(const Row& row, const QList<QKeySequence>& keys);
    void onEdited(QKeySequenceEdit* edit);
    // The row's action name holding `key` in another field, or "" when free.
    QString holderOf(const QKeySequence& key, const QKeySequenceEdit* except) const;

    QList<Row> rows_;
    QTableWidget* table_ = nullptr;
    QLabel* conflict_ = nullptr;
};

}  // namespace samlabel::ui
