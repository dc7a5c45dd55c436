#pragma once
// Committing what the user is typing in an item view's in-place editor before
// an action changes the view's data: Add, Remove, Move or Save rebuilt the
// class list and dropped the open editor, losing the typed name.
class QAbstractItemView;
class QWidget;

namespace samlabel::ui {

// Commits and closes the editor open on the view's current item, as Enter
// would. Returns false when no editor was open.
bool commitOpenItemEditor(QAbstractItemView* view);

// The same for every item view inside `root` (a window before saving).
void commitOpenItemEditors(QWidget* root);

}  // namespace samlabel::ui
