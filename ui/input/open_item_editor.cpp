#include "ui/input/open_item_editor.h"

#include <QAbstractItemDelegate>
#include <QAbstractItemView>

namespace samlabel::ui {
namespace {

// QAbstractItemView::state() is protected. A pointer to it taken in a derived
// class is a pointer to a member of QAbstractItemView, usable on any view.
struct ViewState : QAbstractItemView {
    static bool editing(const QAbstractItemView* view) { return (view->*(&ViewState::state))() == EditingState; }
};

}  // namespace

bool commitOpenItemEditor(QAbstractItemView* view) {
    // Cell widgets (a combo box in a table) also show up as index widgets;
    // only an edit in progress puts the view in EditingState.
    if (!view || !ViewState::editing(view)) return false;
    const QModelIndex index = view->currentIndex();
    QWidget* editor = index.isValid() ? view->indexWidget(index) : nullptr;  // the editor open on it
    QAbstractItemDelegate* delegate = editor ? view->itemDelegateForIndex(index) : nullptr;
    if (!delegate) return false;
    // Exactly what the delegate does on Enter.
    Q_EMIT delegate->commitData(editor);
    Q_EMIT delegate->closeEditor(editor, QAbstractItemDelegate::NoHint);
    return true;
}

void commitOpenItemEditors(QWidget* root) {
    if (!root) return;
    for (QAbstractItemView* view : root->findChildren<QAbstractItemView*>()) commitOpenItemEditor(view);
}

}  // namespace samlabel::ui
