#pragma once
// The user's own keys for the window's actions (Preferences > Shortcuts),
// kept in QSettings under "shortcuts/<action objectName>" only where they
// differ from the defaults the code gives. The defaults are remembered on the
// actions themselves before the user's keys replace them.
#include <QKeySequence>
#include <QList>

class QAction;

namespace samlabel::ui {

class ShortcutSettings {
public:
    // Keys an action may have at most (the editor's columns).
    static constexpr int kMaxKeysPerAction = 3;

    // Call once, after every action got its default keys: remembers them,
    // then applies what the user chose before.
    static void rememberDefaultsAndApply(const QList<QAction*>& actions);
    static QList<QKeySequence> defaults(const QAction* action);
    // Sets the keys and stores them (removes the entry when they are the defaults).
    static void set(QAction* action, const QList<QKeySequence>& keys);
    // Keys the canvas and the tools read themselves (Space: pan and accept,
    // Tab: next SAM mask, Backspace: remove the last point): never an action's.
    static bool isReserved(const QKeySequence& key);
};

}  // namespace samlabel::ui
