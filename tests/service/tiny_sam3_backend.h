#pragma once
// The model stack `samlabel-cli serve` runs (ModelThread + LocalModelBackend,
// which decodes uploaded images itself), set to load the tiny random-weight
// SAM3 checkpoint in tests/data/sam3/tiny224 on the CPU in float32.
#include "core/engine/model_session.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"

#include <filesystem>
#include <memory>

namespace samlabel::service::testing {

inline const std::filesystem::path kTinySam3Dir = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";

inline bool tiny_sam3_present() { return std::filesystem::exists(kTinySam3Dir / "model.safetensors"); }

// Nothing is loaded yet: reload() loads. Destroy the backend before `thread`.
inline std::unique_ptr<LocalModelBackend> make_tiny_sam3_backend(ModelThread& thread) {
    auto backend = std::make_unique<LocalModelBackend>(thread.worker());
    backend->installImageLoader();
    engine::LoadRequest request;
    request.checkpoint_dir = kTinySam3Dir;
    request.device.kind = engine::DeviceKind::Cpu;
    request.dtype = engine::WeightDType::F32;
    backend->setLoadRequest(request, engine::BudgetSettings{});
    return backend;
}

}  // namespace samlabel::service::testing
