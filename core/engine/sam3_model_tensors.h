#pragma once
// The exact tensor list a SAM3 part set reads for a config.json: every
// checkpoint key the modules bind, with the shape they expect. Built by
// constructing the modules on the meta device (nothing allocated), so it is
// the modules' own view, not a second hand-written table. No torch here.
#include "core/engine/engine_types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace samlabel::engine {

struct ExpectedTensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::uint64_t element_count() const;
};

// Sorted by name. Throws std::invalid_argument for a config the parts cannot use.
std::vector<ExpectedTensor> sam3_part_tensors(const nlohmann::json& config, PartSet parts,
                                              const nlohmann::json& processor_config = nlohmann::json::object());

}  // namespace samlabel::engine
