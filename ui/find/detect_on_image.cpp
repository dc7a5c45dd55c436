#include "ui/find/detect_on_image.h"

#include "core/service/image_source.h"

#include <QPointer>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <memory>

namespace samlabel::ui {

namespace {

using Promise = std::shared_ptr<QPromise<service::DetectReply>>;

void fulfil(const Promise& promise, service::DetectReply reply) {
    promise->addResult(std::move(reply));
    promise->finish();
}

service::DetectReply failure(service::BackendError error, const QString& message) {
    service::DetectReply r;
    r.error = error;
    r.message = message;
    return r;
}

}  // namespace

QFuture<service::DetectReply> detectOnImage(service::ModelBackend* backend, bool uploads_images, const QString& image_path,
                                            const engine::DetectPrompt& prompt, const engine::DetectOptions& options,
                                            QObject* context) {
    auto promise = std::make_shared<QPromise<service::DetectReply>>();
    promise->start();
    QFuture<service::DetectReply> future = promise->future();
    if (!backend) {
        fulfil(promise, failure(service::BackendError::NotLoaded, QObject::tr("no model backend")));
        return future;
    }
    QPointer<service::ModelBackend> guard = backend;
    if (!uploads_images) {
        backend->detect(image_path, prompt, options).then(context, [promise](const service::DetectReply& reply) { fulfil(promise, reply); });
        return future;
    }
    QtConcurrent::run([image_path] {
        QString error;
        auto image = service::read_model_image(image_path, &error);
        return std::make_pair(std::move(image), error);
    }).then(context, [=](const std::pair<std::optional<service::ModelImage>, QString>& read) {
        if (!guard) return fulfil(promise, failure(service::BackendError::Failed, QObject::tr("the model backend went away")));
        if (!read.first) return fulfil(promise, failure(service::BackendError::BadInput, read.second));
        guard->encode(read.first->image, QString()).then(context, [=](const service::EncodeReply& encoded) {
            if (!guard) return fulfil(promise, failure(service::BackendError::Failed, QObject::tr("the model backend went away")));
            if (!encoded.ok()) return fulfil(promise, failure(encoded.error, encoded.message));
            guard->detect(encoded.image_id, prompt, options).then(context, [promise](const service::DetectReply& reply) { fulfil(promise, reply); });
        });
    });
    return future;
}

}  // namespace samlabel::ui
