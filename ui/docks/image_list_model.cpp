#include "ui/docks/image_list_model.h"

#include "ui/docks/thumbnail_cache.h"
#include "ui/document/annotation_document.h"

#include <QColor>
#include <QIcon>
#include <QPainter>
#include <QPixmap>

namespace samlabel::ui {
namespace {

QColor statusColour(annotation::ImageStatus status) {
    switch (status) {
        case annotation::ImageStatus::Done: return QColor(46, 160, 67);
        case annotation::ImageStatus::InProgress: return QColor(219, 171, 9);
        case annotation::ImageStatus::New: break;
    }
    return QColor(140, 140, 140);
}

// A fixed-size square tile so rows line up while thumbnails arrive.
QPixmap tile(const QImage& thumbnail, annotation::ImageStatus status, bool failed) {
    const int side = ThumbnailCache::kSidePx;
    QPixmap pixmap(side + 6, side + 6);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.fillRect(QRect(3, 3, side, side), QColor(60, 60, 64));
    if (!thumbnail.isNull()) {
        const QPoint at(3 + (side - thumbnail.width()) / 2, 3 + (side - thumbnail.height()) / 2);
        painter.drawImage(at, thumbnail);
    } else if (failed) {
        painter.setPen(QColor(255, 110, 100));
        QFont font = painter.font();
        font.setBold(true);
        font.setPixelSize(28);
        painter.setFont(font);
        painter.drawText(QRect(3, 3, side, side), Qt::AlignCenter, "!");
    }
    // Status strip at the bottom-left corner.
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(Qt::black, 1));
    painter.setBrush(statusColour(status));
    painter.drawEllipse(QPointF(side - 5, side - 5), 6, 6);
    return pixmap;
}

}  // namespace

ImageListModel::ImageListModel(AnnotationDocument* document, ThumbnailCache* thumbnails, QObject* parent)
    : QAbstractListModel(parent), document_(document), thumbnails_(thumbnails) {
    connect(document_, &AnnotationDocument::opened, this, [this] {
        beginResetModel();
        row_of_path_.clear();
        for (int row = 0; row < document_->imageCount(); ++row) row_of_path_.insert(document_->absolutePath(row), row);
        endResetModel();
    });
    connect(document_, &AnnotationDocument::closed, this, [this] {
        beginResetModel();
        row_of_path_.clear();
        thumbnails_->clear();
        endResetModel();
    });
    connect(document_, &AnnotationDocument::annotationsChanged, this, [this](int row) {
        if (row < 0 && rowCount() > 0) emit dataChanged(index(0), index(rowCount() - 1));
        else if (row < rowCount()) emit dataChanged(index(row), index(row));
    });
    connect(thumbnails_, &ThumbnailCache::thumbnailReady, this, &ImageListModel::onThumbnailReady);
}

QString ImageListModel::statusText(annotation::ImageStatus status) {
    switch (status) {
        case annotation::ImageStatus::Done: return tr("done");
        case annotation::ImageStatus::InProgress: return tr("in progress");
        case annotation::ImageStatus::New: break;
    }
    return tr("new");
}

int ImageListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !document_->isOpen() ? 0 : document_->imageCount();
}

namespace {
// Auto-label proposals on the image nobody reviewed yet.
int pendingReviews(const annotation::ImageAnnotations* image) {
    if (!image) return 0;
    int n = 0;
    for (const auto& inst : image->instances) n += inst.review == annotation::ReviewState::Pending;
    return n;
}
}  // namespace

QVariant ImageListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const int row = index.row();
    const auto* image = document_->annotations(row);
    const auto status = image ? image->status : annotation::ImageStatus::New;
    const int instances = image ? int(image->instances.size()) : 0;
    switch (role) {
        case Qt::DisplayRole: {
            QString text = document_->displayName(row) + "\n" + statusText(status);
            if (instances > 0) text += tr(" · %n instance(s)", "", instances);
            if (const int pending = pendingReviews(image); pending > 0) text += tr(" · %n to review", "", pending);
            const QString error = thumbnails_->error(document_->absolutePath(row));
            if (!error.isEmpty()) text += tr(" · unreadable");
            return text;
        }
        case Qt::DecorationRole: {
            const QString path = document_->absolutePath(row);
            const QImage thumbnail = thumbnails_->thumbnail(path);
            return tile(thumbnail, status, !thumbnails_->error(path).isEmpty());
        }
        case Qt::ToolTipRole: {
            const QString error = thumbnails_->error(document_->absolutePath(row));
            return error.isEmpty() ? document_->absolutePath(row) : error;
        }
        case Qt::ForegroundRole:
            if (!thumbnails_->error(document_->absolutePath(row)).isEmpty()) return QColor(255, 120, 110);
            return {};
        case StatusRole: return int(status);
        case ErrorRole: return thumbnails_->error(document_->absolutePath(row));
        case InstanceCountRole: return instances;
        case RelativePathRole: return document_->displayName(row);
        case NeedsReviewRole: return pendingReviews(image) > 0 ? 1 : 0;
        default: return {};
    }
}

void ImageListModel::onThumbnailReady(const QString& path) {
    const int row = row_of_path_.value(path, -1);
    if (row >= 0 && row < rowCount()) emit dataChanged(index(row), index(row));
}

}  // namespace samlabel::ui
