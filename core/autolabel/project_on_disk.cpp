#include "core/autolabel/project_on_disk.h"

#include "core/annotation/natural_order.h"
#include "core/annotation/project_file.h"
#include "core/io/image_folder.h"
#include "core/io/image_reader.h"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace samlabel::autolabel {
namespace fs = std::filesystem;

ProjectOnDisk open_project_on_disk(const fs::path& path, const fs::path& images_override) {
    ProjectOnDisk out;
    std::error_code ec;
    const bool is_folder = fs::is_directory(path, ec);
    out.file = fs::absolute(is_folder ? annotation::default_project_path(path) : path);
    out.exists = fs::is_regular_file(out.file, ec);
    if (!out.exists && !is_folder)
        throw std::runtime_error(io::path_to_utf8(path) + ": no such project file (give the project file or its image folder)");
    if (out.exists) {
        std::ifstream in(out.file, std::ios::binary);
        if (!in) throw std::runtime_error(io::path_to_utf8(out.file) + ": cannot open the project file");
        std::ostringstream text;
        text << in.rdbuf();
        out.project = annotation::parse(text.str(), io::path_to_utf8(out.file));  // throws ProjectFileError naming file and field
    }
    if (!images_override.empty()) out.image_root = fs::absolute(images_override);
    else if (is_folder && !out.exists) out.image_root = fs::absolute(path);
    else out.image_root = out.file.parent_path() / io::path_from_utf8(out.project.image_root);
    out.image_root = out.image_root.lexically_normal();

    const io::ImageFolderScan scan = io::scan_image_folder(out.image_root);
    out.scan_errors = scan.errors;
    std::set<std::string, annotation::NaturalLess> listed(scan.relative_paths.begin(), scan.relative_paths.end());
    for (const auto& [rel, image] : out.project.images())
        if (!image.instances.empty()) listed.insert(rel);
    out.images.assign(listed.begin(), listed.end());
    return out;
}

}  // namespace samlabel::autolabel
