#pragma once
// Thumbnails for the image list, decoded OFF the UI thread (QtConcurrent on a
// small private pool) through core/io's reader (so EXIF, 16-bit, alpha and
// corrupt files behave as on the canvas), kept in a small LRU cache.
#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>
#include <QThreadPool>

#include <cstdint>

namespace samlabel::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    explicit ThumbnailCache(QObject* parent = nullptr);
    ~ThumbnailCache() override;

    static constexpr int kSidePx = 72;

    // The thumbnail if ready; otherwise schedules it and returns a null image
    // (thumbnailReady follows). Failed files return a null image and have an error.
    QImage thumbnail(const QString& absolute_path);
    QString error(const QString& absolute_path) const { return errors_.value(absolute_path); }
    bool isPending(const QString& absolute_path) const { return pending_.contains(absolute_path); }
    void setPixelLimit(std::uint64_t pixels) { pixel_limit_ = pixels; }
    void clear();
    // Blocks until queued thumbnails are done (tests, shutdown).
    void waitForPending();

signals:
    void thumbnailReady(const QString& absolute_path);

private:
    void onDecoded(const QString& path, const QImage& image, const QString& error);

    QThreadPool pool_;
    QCache<QString, QImage> cache_;
    QHash<QString, QString> errors_;
    QSet<QString> pending_;
    std::uint64_t pixel_limit_ = 200'000'000;
    int generation_ = 0;  // clear() drops results of earlier requests
};

}  // namespace samlabel::ui
