#pragma once
// An action's text as a person reads it outside a menu: "&Save" -> "Save",
// "Unload && Train…" -> "Unload & Train…" ("&&" is how a menu writes "&").
#include <QAction>
#include <QString>

namespace samlabel::ui {

inline QString actionLabel(const QAction* action) {
    QString text = action->text();
    QString out;
    out.reserve(text.size());
    for (int i = 0; i < text.size(); ++i) {
        if (text[i] != QLatin1Char('&')) {
            out += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == QLatin1Char('&')) {
            out += QLatin1Char('&');
            ++i;
        }
    }
    return out;
}

}  // namespace samlabel::ui
