#include "core/io/export_directory.h"

#include "core/io/export_staging.h"
#include "core/io/image_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;

bool is_inside(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;  // trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return true;
}

fs::path canonical_or_absolute(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p) : c;
}

// The project recorded by a previous export; nullopt when report.json is not
// a samlabel report at all.
std::optional<std::string> recorded_project(const fs::path& report_json) {
    std::ifstream in(report_json, std::ios::binary);
    if (!in) return std::nullopt;
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("format") || !j.contains("images")) return std::nullopt;
    const auto it = j.find("project_file");
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    const std::size_t shown = std::min<std::size_t>(names.size(), 6);
    for (std::size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > shown) s += " and " + std::to_string(names.size() - shown) + " more";
    return s;
}

}  // namespace

bool is_export_entry_name(const fs::path& name) {
    static const char* const kNames[] = {"images", "labels", "annotations", "semantic", "instances", "data.yaml",
                                         "class_map.json", "legend.json", "report.json", "report.txt"};
    const std::string n = path_to_utf8(name);
    if (n == kExportStagingName) return true;  // an interrupted export's leftovers
    return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; });
}

std::string export_project_marker(const fs::path& project_file) {
    return project_file.empty() ? std::string() : path_to_utf8(canonical_or_absolute(project_file));
}

std::string ExportFolderInspection::describe(const fs::path& output_dir) const {
    const std::string out = path_to_utf8(output_dir);
    std::string s;
    switch (state) {
        case ExportFolderState::Free: return out + ": empty or new";
        case ExportFolderState::OwnExport: return out + ": an earlier export of this project";
        case ExportFolderState::OtherProjectExport:
            s = owner_project.empty() ? out + ": holds a samlabel export that does not name its project (an older samlabel made it)"
                                      : out + ": holds the samlabel export of another project (" + owner_project + ")";
            break;
        case ExportFolderState::NotAnExport:
            s = out + ": not empty and not a samlabel export (no samlabel report.json)";
            break;
    }
    if (!replaced.empty()) s += "; exporting there deletes " + joined(replaced);
    if (!kept.empty()) s += (replaced.empty() ? "; exporting there keeps " : " and keeps ") + joined(kept);
    return s;
}

ExportFolderInUse::ExportFolderInUse(const fs::path& output_dir, ExportFolderInspection inspection)
    : std::runtime_error(inspection.describe(output_dir) + "; not replaced without confirmation"),
      inspection_(std::move(inspection)) {}

ExportFolderInspection inspect_export_directory(const fs::path& output_dir, const fs::path& project_file) {
    ExportFolderInspection result;
    std::error_code ec;
    if (!fs::is_directory(output_dir, ec)) return result;  // missing: Free (a file there fails later, clearly)
    for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
        const std::string name = path_to_utf8(entry.path().filename());
        (is_export_entry_name(entry.path().filename()) ? result.replaced : result.kept).push_back(name);
    }
    if (ec) throw std::runtime_error(path_to_utf8(output_dir) + ": cannot list the output folder: " + ec.message());
    std::sort(result.replaced.begin(), result.replaced.end());
    std::sort(result.kept.begin(), result.kept.end());
    if (result.replaced.empty() && result.kept.empty()) return result;
    // Only what an interrupted export left behind (export_staging.h): as good as empty.
    if (result.kept.empty() && result.replaced == std::vector<std::string>{std::string(kExportStagingName)}) return result;
    const std::optional<std::string> owner = recorded_project(output_dir / "report.json");
    if (!owner) {
        result.state = ExportFolderState::NotAnExport;
    } else if (*owner == export_project_marker(project_file)) {
        result.state = ExportFolderState::OwnExport;
    } else {
        result.state = ExportFolderState::OtherProjectExport;
        result.owner_project = *owner;
    }
    return result;
}

ExportFolderInspection check_export_directory(const fs::path& output_dir, const fs::path& image_root,
                                              const fs::path& project_file, bool replace_confirmed) {
    const std::string out_name = path_to_utf8(output_dir);
    if (output_dir.empty()) throw std::runtime_error("no output folder given");
    const fs::path out = canonical_or_absolute(output_dir);
    if (is_inside(canonical_or_absolute(image_root), out))
        throw std::runtime_error(out_name + ": refusing to export into the image folder or a folder containing it (" +
                                 path_to_utf8(image_root) + ")");
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_directory(out, ec)) throw std::runtime_error(out_name + ": exists and is not a folder");
    ExportFolderInspection inspection = inspect_export_directory(out, project_file);
    if (inspection.needs_confirmation() && !replace_confirmed) throw ExportFolderInUse(output_dir, std::move(inspection));
    return inspection;
}

void prepare_export_directory(const fs::path& output_dir, const fs::path& image_root, const fs::path& project_file,
                              bool replace_confirmed) {
    const ExportFolderInspection inspection = check_export_directory(output_dir, image_root, project_file, replace_confirmed);
    const std::string out_name = path_to_utf8(output_dir);
    const fs::path out = canonical_or_absolute(output_dir);
    std::error_code ec;
    if (!fs::exists(out, ec)) {
        fs::create_directories(out, ec);
        if (ec) throw std::runtime_error(out_name + ": cannot create the output folder: " + ec.message());
        return;
    }
    // Only what an export writes is removed; anything else stays.
    for (const std::string& name : inspection.replaced) {
        fs::remove_all(out / path_from_utf8(name), ec);
        if (ec) throw std::runtime_error(out_name + ": cannot remove the previous export's " + name + ": " + ec.message());
    }
}

}  // namespace samlabel::io
