#pragma once
// Export class ids: training tools want dense ids 0..n-1, the project has
// stable ids with gaps (deleted classes are never reused). We number classes
// densely in the project's display order and write the mapping out
// (class_map.json), so a label file can always be traced back.
#include "core/annotation/annotation_types.h"
#include "core/annotation/project.h"

#include <iosfwd>
#include <optional>
#include <unordered_map>
#include <vector>

namespace samlabel::io {

class DenseClassMap {
public:
    explicit DenseClassMap(const annotation::Project& project);

    // 0-based dense index, nullopt for kNoClass or an id not in the project.
    std::optional<int> dense_index(annotation::ClassId id) const;
    const std::vector<annotation::LabelClass>& classes() const { return classes_; }  // index = dense id
    std::size_t size() const { return classes_.size(); }

    // {"classes": [{"index": 0, "class_id": 7, "name": "cat", "color": "#ff0000"}, ...]}
    void write_json(std::ostream& out) const;

private:
    std::vector<annotation::LabelClass> classes_;
    std::unordered_map<annotation::ClassId, int> index_;
};

}  // namespace samlabel::io
