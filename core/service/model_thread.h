#pragma once
// Owns the model worker's QThread: starts it, and on destruction cancels a
// running load, lets a running encode finish, stops the thread and frees the
// model. The GUI and the control API hold one of these.
#include "core/service/model_worker.h"

#include <QObject>
#include <QThread>

#include <memory>

namespace samlabel::service {

class ModelThread : public QObject {
    Q_OBJECT
public:
    explicit ModelThread(std::shared_ptr<engine::ModelSession> session, QObject* parent = nullptr);
    ~ModelThread() override;

    ModelWorker* worker() const { return worker_; }
    QThread* thread() const { return thread_; }

private:
    QThread* thread_ = nullptr;
    ModelWorker* worker_ = nullptr;  // lives on thread_, deleted when it finishes
};

}  // namespace samlabel::service
