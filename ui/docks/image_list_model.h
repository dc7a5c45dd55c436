#pragma once
// The document's images as a list model: name, thumbnail, status and, for
// images that cannot be read, the error (from the thumbnail decode).
#include "core/annotation/annotation_types.h"

#include <QAbstractListModel>
#include <QHash>

namespace samlabel::ui {

class AnnotationDocument;
class ThumbnailCache;

class ImageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { StatusRole = Qt::UserRole + 1, ErrorRole, InstanceCountRole, RelativePathRole,
                NeedsReviewRole };  // NeedsReviewRole: 1 when an auto-label proposal awaits review, else 0

    ImageListModel(AnnotationDocument* document, ThumbnailCache* thumbnails, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    static QString statusText(annotation::ImageStatus status);

private:
    void onThumbnailReady(const QString& path);

    AnnotationDocument* document_;
    ThumbnailCache* thumbnails_;
    QHash<QString, int> row_of_path_;
};

}  // namespace samlabel::ui
