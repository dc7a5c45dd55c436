// samlabel-cli import DIR --format yolo|coco --images DIR --out PROJECT_JSON:
// reads a YOLO dataset or a COCO instances JSON into a new project file.
#include "app/cli/cli_command.h"
#include "core/annotation/project_file.h"
#include "core/io/coco_import.h"
#include "core/io/image_reader.h"
#include "core/io/yolo_import.h"

#include <iostream>

namespace samlabel::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: samlabel-cli import SOURCE --format yolo|coco --out PROJECT_JSON [--images DIR] [--force]\n"
    "  yolo: SOURCE is the dataset folder (data.yaml or classes.txt; images/<split>/ or <split>/images/);\n"
    "        --images defaults to SOURCE (the project's image root; every image must be inside it);\n"
    "        each image's train/val/test folder and file name are kept, and exports put it back there\n"
    "  coco: SOURCE is the instances JSON, or a folder with exactly one annotations/*.json;\n"
    "        --images is the folder file_name is relative to (required)\n"
    "  --force  overwrite an existing PROJECT_JSON (its previous version is kept as .bak)\n";

fs::path find_coco_json(const fs::path& source) {
    if (!fs::is_directory(source)) return source;
    std::vector<fs::path> found;
    for (const fs::path& dir : {source / "annotations", source})
        if (fs::is_directory(dir))
            for (const auto& e : fs::directory_iterator(dir))
                if (e.path().extension() == ".json" && e.path().filename() != "class_map.json" &&
                    e.path().filename() != "report.json")
                    found.push_back(e.path());
    if (found.size() != 1)
        throw std::runtime_error(io::path_to_utf8(source) + ": expected exactly one COCO JSON, found " +
                                 std::to_string(found.size()) + "; pass the file itself");
    return found.front();
}

}  // namespace

int cmd_import(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return args.empty() ? kExitUsage : kExitOk;
    }
    fs::path source, images, out;
    std::string format;
    bool force = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* name) -> const std::string& {
            if (i + 1 >= args.size()) throw std::invalid_argument(std::string(name) + " needs a value");
            return args[++i];
        };
        if (a == "--format") format = value("--format");
        else if (a == "--images") images = io::path_from_utf8(value("--images"));
        else if (a == "--out") out = io::path_from_utf8(value("--out"));
        else if (a == "--force") force = true;
        else if (!a.empty() && a[0] == '-') {
            std::cerr << "samlabel-cli import: unknown option " << a << "\n" << kUsage;
            return kExitUsage;
        } else if (source.empty()) source = io::path_from_utf8(a);
        else {
            std::cerr << "samlabel-cli import: unexpected argument " << a << "\n" << kUsage;
            return kExitUsage;
        }
    }
    if (source.empty() || out.empty() || (format != "yolo" && format != "coco") || (format == "coco" && images.empty())) {
        std::cerr << "samlabel-cli import: SOURCE, --format yolo|coco and --out are required (--images for coco)\n"
                  << kUsage;
        return kExitUsage;
    }
    if (fs::exists(out) && !force) {
        std::cerr << "samlabel-cli import: " << io::path_to_utf8(out) << " exists; pass --force to replace it\n";
        return kExitFailure;
    }
    io::ImportReport report;
    annotation::Project project;
    fs::path image_root;
    if (format == "yolo") {
        io::YoloImportOptions options;
        options.image_root = images.empty() ? source : images;
        image_root = options.image_root;
        project = io::import_yolo_dataset(source, options, report);
    } else {
        io::CocoImportOptions options;
        options.image_root = images;
        image_root = images;
        project = io::import_coco_file(find_coco_json(source), options, report);
    }
    // image_root is stored relative to the project file's folder when possible.
    const fs::path out_dir = fs::absolute(out).parent_path();
    const fs::path root_abs = fs::absolute(image_root).lexically_normal();
    const fs::path rel = root_abs.lexically_relative(out_dir);
    project.image_root = io::path_to_utf8((rel.empty() ? root_abs : rel).generic_u8string());
    if (!out_dir.empty()) fs::create_directories(out_dir);
    annotation::save_project_file(out, project);
    std::cout << io::import_report_text(report) << "project written to " << io::path_to_utf8(out) << "\n";
    return report.problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace samlabel::cli
