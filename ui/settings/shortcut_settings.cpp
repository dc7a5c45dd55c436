#include "ui/settings/shortcut_settings.h"

#include <QAction>
#include <QSettings>
#include <QVariant>

namespace samlabel::ui {
namespace {

constexpr auto kDefaultsProperty = "samlabelDefaultShortcuts";

QString key(const QAction* action) { return QStringLiteral("shortcuts/") + action->objectName(); }

QStringList toStrings(const QList<QKeySequence>& keys) {
    QStringList out;
    for (const QKeySequence& k : keys)
        if (!k.isEmpty()) out << k.toString(QKeySequence::PortableText);
    return out;
}

}  // namespace

void ShortcutSettings::rememberDefaultsAndApply(const QList<QAction*>& actions) {
    QSettings settings;
    for (QAction* action : actions) {
        if (action->objectName().isEmpty()) continue;
        if (!action->property(kDefaultsProperty).isValid())
            action->setProperty(kDefaultsProperty, toStrings(action->shortcuts()));
        if (!settings.contains(key(action))) continue;
        QList<QKeySequence> keys;
        for (const QString& k : settings.value(key(action)).toStringList())
            if (const QKeySequence seq = QKeySequence::fromString(k, QKeySequence::PortableText); !seq.isEmpty()) keys << seq;
        action->setShortcuts(keys);  // an empty list is a choice too: no key
    }
}

QList<QKeySequence> ShortcutSettings::defaults(const QAction* action) {
    QList<QKeySequence> keys;
    const QVariant stored = action->property(kDefaultsProperty);
    if (!stored.isValid()) return action->shortcuts();
    for (const QString& k : stored.toStringList()) keys << QKeySequence::fromString(k, QKeySequence::PortableText);
    return keys;
}

void ShortcutSettings::set(QAction* action, const QList<QKeySequence>& keys) {
    QList<QKeySequence> kept;
    for (const QKeySequence& k : keys)
        if (!k.isEmpty()) kept << k;
    action->setShortcuts(kept);
    QSettings settings;
    if (toStrings(kept) == toStrings(defaults(action))) settings.remove(key(action));
    else settings.setValue(key(action), toStrings(kept));
}

bool ShortcutSettings::isReserved(const QKeySequence& k) {
    static const QList<QKeySequence> reserved{QKeySequence(Qt::Key_Space), QKeySequence(Qt::Key_Tab),
                                              QKeySequence(Qt::SHIFT | Qt::Key_Tab), QKeySequence(Qt::Key_Backtab),
                                              QKeySequence(Qt::SHIFT | Qt::Key_Backtab), QKeySequence(Qt::Key_Backspace)};
    return reserved.contains(k);
}

}  // namespace samlabel::ui
