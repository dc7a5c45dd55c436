#pragma once
// The body of POST /api/v1/images-in-view: the images a GUI on the server's own
// machine is looking at, so the server encodes them ahead of any click
// ({"on_screen": "/abs/path.jpg", "ahead": ["/abs/next.jpg", ...]}). The paths
// are the client's files, read by the server (serve --allow-read-local-images);
// they stay the images' ids, so a later segment or detect names them the same way.
// A pure function (Qt Core only): tested and fuzzed with the other request parsers.
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace samlabel::service::wire {

inline constexpr qsizetype kMaxImagesAhead = 16;            // the model encodes a few ahead anyway
inline constexpr qsizetype kMaxImagePathBytes = 4096;        // UTF-8, per path

struct ImagesInViewRequest {
    QString on_screen;   // empty: nothing on screen
    QStringList ahead;   // the next ones, in the order to encode them
};

// nullopt with *error set (naming the field and the problem) for a malformed
// body: "on_screen" is required (a string; "" for none), "ahead" is an optional
// array of at most kMaxImagesAhead paths, every path absolute; unknown fields are refused.
std::optional<ImagesInViewRequest> parse_images_in_view_request(const QJsonObject& json, QString* error);

}  // namespace samlabel::service::wire
