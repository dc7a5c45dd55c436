#include "ui/icons/bundled_icons.h"

#include <QFile>
#include <QHash>

namespace samlabel::ui {

QIcon bundledIcon(const QString& name) {
    const QString path = QStringLiteral(":/icons/breeze/%1.svg").arg(name);
    return QFile::exists(path) ? QIcon(path) : QIcon();
}

QIcon toolIcon(const QString& tool_id) {
    static const QHash<QString, QString> kIcons{
        {QStringLiteral("select"), QStringLiteral("edit-select")},
        {QStringLiteral("polygon"), QStringLiteral("draw-polygon")},
        {QStringLiteral("box"), QStringLiteral("draw-rectangle")},
        {QStringLiteral("brush"), QStringLiteral("draw-brush")},
        {QStringLiteral("eraser"), QStringLiteral("draw-eraser")},
        {QStringLiteral("grabcut"), QStringLiteral("edit-select-lasso")},
        {QStringLiteral("sam"), QStringLiteral("tools-wizard")},
    };
    const auto it = kIcons.find(tool_id);
    return it == kIcons.end() ? QIcon() : bundledIcon(*it);
}

QIcon applicationIcon() { return bundledIcon(QStringLiteral("draw-polygon")); }

}  // namespace samlabel::ui
