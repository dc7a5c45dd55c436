#include "core/service/images_in_view_request.h"

#include <QDir>
#include <QJsonArray>

namespace samlabel::service::wire {

namespace {

// What is wrong with one path (empty when fine); `field` names it in the message.
QString path_problem(const QString& path, const QString& field) {
    if (path.isEmpty()) return field + QStringLiteral(" is an empty path");
    if (path.toUtf8().size() > kMaxImagePathBytes) return field + QStringLiteral(" is longer than %1 bytes").arg(kMaxImagePathBytes);
    if (path.contains(QChar(0))) return field + QStringLiteral(" contains a NUL character");
    // A relative path would resolve against the server's working folder, not the client's.
    if (!QDir::isAbsolutePath(path)) return field + QStringLiteral(" must be an absolute path, not \"%1\"").arg(path);
    return {};
}

}  // namespace

std::optional<ImagesInViewRequest> parse_images_in_view_request(const QJsonObject& json, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return std::nullopt;
    };
    static const QStringList kFields = {QStringLiteral("on_screen"), QStringLiteral("ahead")};
    for (auto it = json.begin(); it != json.end(); ++it)
        if (!kFields.contains(it.key()))
            return fail(QStringLiteral("unknown field \"%1\" (images-in-view takes %2)").arg(it.key(), kFields.join(QStringLiteral(", "))));

    ImagesInViewRequest request;
    const QJsonValue on_screen = json.value(QStringLiteral("on_screen"));
    if (!on_screen.isString())
        return fail(QStringLiteral("\"on_screen\" is required: the path of the image on screen (\"\" for none)"));
    request.on_screen = on_screen.toString();
    if (!request.on_screen.isEmpty())
        if (const QString problem = path_problem(request.on_screen, QStringLiteral("\"on_screen\"")); !problem.isEmpty())
            return fail(problem);

    const QJsonValue ahead = json.value(QStringLiteral("ahead"));
    if (ahead.isUndefined() || ahead.isNull()) return request;
    if (!ahead.isArray()) return fail(QStringLiteral("\"ahead\" must be an array of image paths"));
    const QJsonArray paths = ahead.toArray();
    if (paths.size() > kMaxImagesAhead)
        return fail(QStringLiteral("\"ahead\" has %1 paths; at most %2").arg(paths.size()).arg(kMaxImagesAhead));
    for (qsizetype i = 0; i < paths.size(); ++i) {
        const QString field = QStringLiteral("\"ahead\"[%1]").arg(i);
        if (!paths[i].isString()) return fail(field + QStringLiteral(" must be a string (an image path)"));
        if (const QString problem = path_problem(paths[i].toString(), field); !problem.isEmpty()) return fail(problem);
        request.ahead.push_back(paths[i].toString());
    }
    return request;
}

}  // namespace samlabel::service::wire
