#pragma once
// The model stack `samlabel-cli serve` runs (ModelThread + LocalModelBackend,
// which decodes uploaded images itself), set to load a tiny random-weight SAM3
// checkpoint on the CPU in float32: tests/data/sam3/tiny224 (click parts, no
// tokenizer files) or tests/data/sam3_detect/det224 (with the detector and
// its tokenizer).
#include "core/engine/model_session.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"

#include <filesystem>
#include <memory>

namespace samlabel::service::testing {

inline const std::filesystem::path kTinySam3Dir = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";

inline const std::filesystem::path kDetect224Dir = std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3_detect" / "det224";

inline bool tiny_sam3_present() { return std::filesystem::exists(kTinySam3Dir / "model.safetensors"); }

// What `serve --weights dir --device cpu --dtype fp32 --parts ...` loads.
inline engine::LoadRequest tiny_load_request(const std::filesystem::path& dir = kTinySam3Dir,
                                             engine::PartSet parts = engine::PartSet::ClickToSegment) {
    engine::LoadRequest request;
    request.checkpoint_dir = dir;
    request.device.kind = engine::DeviceKind::Cpu;
    request.dtype = engine::WeightDType::F32;
    request.parts = parts;
    return request;
}

// Nothing is loaded yet: reload() loads. Destroy the backend before `thread`.
inline std::unique_ptr<LocalModelBackend> make_tiny_sam3_backend(ModelThread& thread, const std::filesystem::path& dir = kTinySam3Dir,
                                                                 engine::PartSet parts = engine::PartSet::ClickToSegment) {
    auto backend = std::make_unique<LocalModelBackend>(thread.worker());
    backend->installImageLoader();
    backend->setLoadRequest(tiny_load_request(dir, parts), engine::BudgetSettings{});
    return backend;
}

}  // namespace samlabel::service::testing
