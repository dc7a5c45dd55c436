#pragma once
// The Ultralytics dataset file (data.yaml): writing it, and reading the subset
// that dataset files use in practice (no YAML library in the stack):
// top-level `key: scalar` lines, and `names` as an inline list [a, b], a block
// list (- a) or a block map (0: a). Quoted scalars ('..' and "..") allowed,
// `#` comments ignored.
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::io {

struct YoloDataYaml {
    std::string path;                 // dataset root as written (may be empty)
    std::map<std::string, std::string> splits;  // "train"/"val"/"test" -> folder relative to path
    std::vector<std::string> names;   // index = YOLO class id
};

// Writes path, train, val, [test], names as an id->name map. Every string is
// double-quoted and escaped, so names with ':' '#' quotes or non-ASCII letters
// survive.
void write_data_yaml(const YoloDataYaml& data, std::ostream& out);

// More classes than any dataset has (ImageNet-21k: 21,841); nc above it is refused.
inline constexpr long long kMaxDataYamlClasses = 100'000;

// Throws std::runtime_error("<source_name>: line N: ...") on malformed input,
// on names with gaps (a map missing an id), on nc disagreeing with names or
// above kMaxDataYamlClasses.
YoloDataYaml parse_data_yaml(std::string_view text, const std::string& source_name);

// Double-quoted YAML scalar with escapes.
std::string yaml_quote(std::string_view s);

}  // namespace samlabel::io
