#pragma once
// Load requests the engine tests share: click-to-segment parts on the CPU. An
// fp32 load of an fp32 file maps it (zero-copy); a bf16 one converts and so
// allocates every weight.
#include "core/engine/model_session.h"

#include <filesystem>

namespace samlabel::engine::test {

inline LoadRequest cpu_fp32(const std::filesystem::path& dir) {
    LoadRequest r;
    r.checkpoint_dir = dir;
    r.device = DeviceSpec{DeviceKind::Cpu, 0};
    r.dtype = WeightDType::F32;
    r.parts = PartSet::ClickToSegment;
    return r;
}

inline LoadRequest cpu_bf16(const std::filesystem::path& dir) {
    LoadRequest r = cpu_fp32(dir);
    r.dtype = WeightDType::BF16;
    return r;
}

}  // namespace samlabel::engine::test
