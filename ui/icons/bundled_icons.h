#pragma once
// Icons from the bundled Breeze set (resources/icons/breeze, LGPL-3.0-or-later,
// see the README there): never drawn by us, never taken from the desktop theme
// (Windows has none, and a theme can lack a name).
#include <QIcon>
#include <QString>

namespace samlabel::ui {

// `name` is the Breeze file name without ".svg" (e.g. "edit-undo"). Null when not bundled.
QIcon bundledIcon(const QString& name);
// The icon of a canvas tool by its id ("polygon", "sam", ...); null for an unknown id.
QIcon toolIcon(const QString& tool_id);
// The window and application icon.
QIcon applicationIcon();

}  // namespace samlabel::ui
