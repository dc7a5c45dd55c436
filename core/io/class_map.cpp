#include "core/io/class_map.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ostream>

namespace samlabel::io {

DenseClassMap::DenseClassMap(const annotation::Project& project) : classes_(project.classes()) {
    for (std::size_t i = 0; i < classes_.size(); ++i) index_.emplace(classes_[i].id, static_cast<int>(i));
}

std::optional<int> DenseClassMap::dense_index(annotation::ClassId id) const {
    const auto it = index_.find(id);
    if (it == index_.end()) return std::nullopt;
    return it->second;
}

void DenseClassMap::write_json(std::ostream& out) const {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < classes_.size(); ++i) {
        char colour[8];
        std::snprintf(colour, sizeof colour, "#%06x", classes_[i].rgb & 0xffffffU);
        list.push_back({{"index", i}, {"class_id", classes_[i].id}, {"name", classes_[i].name}, {"color", colour}});
    }
    nlohmann::ordered_json j;
    j["about"] = "index = class id in the exported labels; class_id = the samlabel project's stable class id";
    j["classes"] = std::move(list);
    out << j.dump(2) << "\n";
}

}  // namespace samlabel::io
