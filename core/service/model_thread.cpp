#include "core/service/model_thread.h"

namespace samlabel::service {

ModelThread::ModelThread(std::shared_ptr<engine::ModelSession> session, QObject* parent)
    : QObject(parent), thread_(new QThread(this)), worker_(new ModelWorker(std::move(session))) {
    thread_->setObjectName(QStringLiteral("samlabel-model"));
    worker_->moveToThread(thread_);
    // The documented way to free an object of a finished thread on that thread.
    connect(thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_->start();
}

ModelThread::~ModelThread() {
    worker_->cancelLoad();
    thread_->quit();
    thread_->wait();  // a running encode or click returns first; nothing else is waited for
}

}  // namespace samlabel::service
