#include "core/io/yolo_data_yaml_paths.h"

#include "core/io/dataset_relative_path.h"
#include "core/io/utf8_path.h"

#include <system_error>

namespace samlabel::io {
namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
    return s;
}

// "a" -> {a}; "[a, b]" -> {a, b} (Ultralytics accepts a list of folders).
std::vector<std::string> entries_of(const std::string& value) {
    if (value.size() < 2 || value.front() != '[' || value.back() != ']') return {value};
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start < value.size() - 1) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size() - 1;  // up to the ']'

        if (std::string item = trimmed(value.substr(start, comma - start)); !item.empty()) out.push_back(std::move(item));
        start = comma + 1;
    }
    return out;
}

}  // namespace

std::vector<std::string> check_data_yaml_paths(const YoloDataYaml& data, const std::filesystem::path& dataset_dir,
                                               const std::string& source) {
    std::vector<std::string> notes;
    for (const auto& [split, value] : data.splits) {
        for (const std::string& entry : entries_of(value)) {
            DatasetPathCheck check = check_dataset_relative_path(entry);
            const bool roboflow = entry.rfind("../", 0) == 0 || entry.rfind("..\\", 0) == 0;
            if (!check.ok() && roboflow) {
                const DatasetPathCheck rest = check_dataset_relative_path(std::string_view(entry).substr(3));
                std::error_code ec;
                if (rest.ok() && std::filesystem::is_directory(path_inside(dataset_dir, rest.path), ec)) {
                    notes.push_back(source + ": " + split + " '" + entry + "' read as " + rest.path +
                                    " inside the dataset (Roboflow's layout, as Ultralytics reads it)");
                    continue;
                }
            }
            if (!check.ok())
                throw UnsafePathError(source + ": " + split + " '" + entry + "' " + check.problem +
                                      "; refused (a data.yaml may only name folders inside its dataset)");
        }
    }
    if (!data.path.empty() && data.path != "." && data.path != "./")
        notes.push_back(source + ": path '" + data.path + "' is not followed; the dataset is read from " +
                        path_to_utf8(dataset_dir));
    return notes;
}

}  // namespace samlabel::io
