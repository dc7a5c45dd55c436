#include "core/service/model_runtime.h"

#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "core/service/local_model_backend.h"
#include "core/service/memory_sampler.h"
#include "core/service/model_thread.h"

namespace samlabel::service {

ModelRuntime::ModelRuntime(const ModelRuntimeOptions& options, std::shared_ptr<engine::MemoryProbe> probe)
    : probe_(probe ? std::move(probe) : std::shared_ptr<engine::MemoryProbe>(engine::make_system_memory_probe())) {
    session_ = std::make_shared<engine::ModelSession>(probe_);
    session_->converted_weights().set_settings(options.converted_weights);
    thread_ = std::make_unique<ModelThread>(session_);
    backend_ = std::make_unique<LocalModelBackend>(thread_->worker());
    backend_->setLocalFilesAllowed(options.local_files_allowed);
    // The worker's image loader is set before it handles any request (the
    // thread runs, but nothing was asked of it yet).
    if (options.uploaded_images) backend_->installImageLoader();
    if (options.sample_interval_ms > 0) sampler_ = std::make_unique<MemorySampler>(probe_, options.sample_interval_ms);
}

ModelRuntime::~ModelRuntime() {
    sampler_.reset();
    backend_.reset();
    thread_.reset();  // cancels a load, waits for a running encode, frees the model
}

ModelWorker* ModelRuntime::worker() const { return thread_->worker(); }

}  // namespace samlabel::service
