#pragma once
// The model's runtime in this process, assembled in one place that the GUI
// and `samlabel-cli serve` share: the memory probe, the model session, the
// model thread (ModelWorker), the memory sampler and the LocalModelBackend,
// which is the one door everything else uses. Destruction runs in the safe
// order: sampler, backend, then the thread (which cancels a load, lets a
// running encode finish and frees the model).
#include "core/engine/converted_weights_cache.h"

#include <QObject>

#include <memory>

namespace samlabel::engine {
class MemoryProbe;
class ModelSession;
}  // namespace samlabel::engine

namespace samlabel::service {

class LocalModelBackend;
class MemorySampler;
class ModelThread;
class ModelWorker;

struct ModelRuntimeOptions {
    int sample_interval_ms = 250;  // the memory sampler's period; 0: no sampler (serve)
    // GUI: the backend also takes the worker's own image ids (file paths).
    // Never for a backend reachable over HTTP: a client could make it read any file.
    bool local_files_allowed = false;
    // serve: images uploaded through the API are what the worker reads.
    bool uploaded_images = false;
    engine::ConvertedWeightsSettings converted_weights;  // empty dir: off
};

class ModelRuntime {
public:
    explicit ModelRuntime(const ModelRuntimeOptions& options,
                          std::shared_ptr<engine::MemoryProbe> probe = nullptr);  // null: this system's probe
    ~ModelRuntime();
    ModelRuntime(const ModelRuntime&) = delete;
    ModelRuntime& operator=(const ModelRuntime&) = delete;

    std::shared_ptr<engine::MemoryProbe> probe() const { return probe_; }
    std::shared_ptr<engine::ModelSession> session() const { return session_; }
    ModelWorker* worker() const;
    MemorySampler* sampler() const { return sampler_.get(); }  // null with sample_interval_ms 0
    LocalModelBackend* backend() const { return backend_.get(); }

private:
    std::shared_ptr<engine::MemoryProbe> probe_;
    std::shared_ptr<engine::ModelSession> session_;
    std::unique_ptr<ModelThread> thread_;
    std::unique_ptr<LocalModelBackend> backend_;
    std::unique_ptr<MemorySampler> sampler_;
};

}  // namespace samlabel::service
