#include "core/io/dataset_relative_path.h"

#include "core/io/utf8_path.h"

#include <cctype>

namespace samlabel::io {

DatasetPathCheck check_dataset_relative_path(std::string_view raw) {
    DatasetPathCheck check;
    const auto refuse = [&](const std::string& why) {
        check.problem = why;
        return check;
    };
    const auto is_sep = [](char c) { return c == '/' || c == '\\'; };
    if (raw.empty()) return refuse("is empty");
    if (raw.find('\0') != std::string_view::npos) return refuse("contains a NUL character");
    if (raw.size() >= 2 && is_sep(raw[0]) && is_sep(raw[1]))
        return refuse("is a network (UNC) or device path; expected a path inside the dataset folder");
    if (is_sep(raw[0])) return refuse("is absolute; expected a path inside the dataset folder");
    if (raw.size() >= 2 && raw[1] == ':' && std::isalpha(static_cast<unsigned char>(raw[0])))
        return refuse("names a Windows drive; expected a path inside the dataset folder");
    std::string out;
    std::size_t start = 0;
    while (start <= raw.size()) {
        std::size_t end = start;
        while (end < raw.size() && !is_sep(raw[end])) ++end;
        const std::string_view part = raw.substr(start, end - start);
        if (part == "..") return refuse("climbs out of the dataset folder with '..'");
        // "a/C:x" would replace the folder on Windows (path /= "C:x").
        if (part.size() >= 2 && part[1] == ':' && std::isalpha(static_cast<unsigned char>(part[0])))
            return refuse("has a Windows drive ('" + std::string(part.substr(0, 2)) + "') inside it");
        if (!part.empty() && part != ".") {
            if (!out.empty()) out += '/';
            out += part;
        }
        start = end + 1;
    }
    if (out.empty()) return refuse("names the folder itself, not a file in it");
    check.path = std::move(out);
    return check;
}

std::filesystem::path path_inside(const std::filesystem::path& root, std::string_view relative_utf8) {
    const DatasetPathCheck check = check_dataset_relative_path(relative_utf8);
    if (!check.ok())
        throw UnsafePathError(path_to_utf8(root) + ": '" + std::string(relative_utf8) + "' " + check.problem);
    std::filesystem::path out = root;
    std::size_t start = 0;
    while (start <= check.path.size()) {
        const std::size_t slash = check.path.find('/', start);
        out /= path_from_utf8(std::string_view(check.path).substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

}  // namespace samlabel::io
