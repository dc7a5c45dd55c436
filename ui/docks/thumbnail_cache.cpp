#include "ui/docks/thumbnail_cache.h"

#include "core/io/image_reader.h"

#include <QMetaObject>
#include <QPointer>
#include <QtConcurrent>

#include <opencv2/imgproc.hpp>

namespace samlabel::ui {
namespace {

struct Decoded {
    QImage image;
    QString error;
};

Decoded decodeThumbnail(const QString& path, std::uint64_t pixel_limit) {
    io::ImageReadOptions options;
    options.max_pixels = pixel_limit;
    const io::ImageReadResult read = io::read_image(io::path_from_utf8(path.toStdString()), options);
    if (!read.ok()) return {{}, QString::fromStdString(read.error)};
    const double scale = double(ThumbnailCache::kSidePx) / std::max(read.width, read.height);
    cv::Mat small;
    cv::resize(read.bgr8, small, cv::Size(), std::min(1.0, scale), std::min(1.0, scale), cv::INTER_AREA);
    QImage image(small.data, small.cols, small.rows, int(small.step), QImage::Format_BGR888);
    return {image.copy(), {}};  // copy: the cv::Mat dies here
}

}  // namespace

ThumbnailCache::ThumbnailCache(QObject* parent) : QObject(parent) {
    pool_.setMaxThreadCount(2);  // leave cores for the UI and GrabCut
    cache_.setMaxCost(400);      // thumbnails
}

ThumbnailCache::~ThumbnailCache() {
    pool_.clear();
    pool_.waitForDone();
}

QImage ThumbnailCache::thumbnail(const QString& path) {
    if (const QImage* cached = cache_.object(path)) return *cached;
    if (pending_.contains(path) || errors_.contains(path)) return {};
    pending_.insert(path);
    QPointer<ThumbnailCache> self(this);
    const int generation = generation_;
    const std::uint64_t limit = pixel_limit_;
    QThreadPool* pool = &pool_;
    (void)QtConcurrent::run(pool, [self, path, generation, limit] {
        Decoded decoded = decodeThumbnail(path, limit);
        if (!self) return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, path, generation, decoded] {
                if (self && self->generation_ == generation) self->onDecoded(path, decoded.image, decoded.error);
            },
            Qt::QueuedConnection);
    });
    return {};
}

void ThumbnailCache::onDecoded(const QString& path, const QImage& image, const QString& error) {
    pending_.remove(path);
    if (error.isEmpty()) cache_.insert(path, new QImage(image), 1);
    else errors_.insert(path, error);
    emit thumbnailReady(path);
}

void ThumbnailCache::clear() {
    ++generation_;
    pool_.clear();
    cache_.clear();
    errors_.clear();
    pending_.clear();
}

void ThumbnailCache::waitForPending() { pool_.waitForDone(); }

}  // namespace samlabel::ui
