// samlabel-cli export PROJECT_JSON --format F --out DIR [...]: writes a
// training dataset (YOLO detect/segment, COCO, PNG masks) and its report.
#include "app/cli/cli_command.h"
#include "core/annotation/project_file.h"
#include "core/io/dataset_export.h"
#include "core/io/export_directory.h"
#include "core/io/export_start.h"
#include "core/io/image_reader.h"

#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>

namespace samlabel::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: samlabel-cli export PROJECT_JSON --format yolo-detect|yolo-segment|coco|png-masks --out DIR\n"
    "         [--split TRAIN,VAL[,TEST]] [--seed N] [--link|--copy|--no-images] [--tolerance PX]\n"
    "         [--min-area PX] [--coco-masks rle|polygons] [--images DIR]\n"
    "         [--include-unannotated] [--resplit] [--force] [--only-reviewed]\n"
    "  --split       fractions per image, deterministic from its path (YOLO default 0.8,0.2;\n"
    "                COCO / PNG masks: one set unless given). A split with a share that\n"
    "                would be empty gets the image whose hash is nearest its range\n"
    "  --seed        changes which images go where (default 0)\n"
    "  --include-unannotated  also export images that were never annotated (no instance,\n"
    "                never marked done) as background images; by default they are left out\n"
    "                and counted in the report\n"
    "  --resplit     split imported images by --split/--seed too (default: they keep the\n"
    "                split and file name they had in the dataset they were imported from)\n"
    "  --only-reviewed  leave out auto-label proposals nobody reviewed yet (listed in the report)\n"
    "  --force       replace an --out folder that holds another project's export or files\n"
    "                that are not a samlabel export (only the export's entries are removed)\n"
    "  --link        hard-link the images (copies where the filesystem refuses; the report says so)\n"
    "  --copy        copy the images (default)\n"
    "  --no-images   COCO / PNG masks only: leave the images where they are\n"
    "  --tolerance   polygon simplification for masks, pixels (default 1)\n"
    "  --coco-masks  rle (default, lossless) or polygons (masks without holes as polygons)\n"
    "  --images      image folder (default: the project's image_root)\n";

std::string read_file(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(io::path_to_utf8(path) + ": cannot open the project file");
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

int cmd_export(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return args.empty() ? kExitUsage : kExitOk;
    }
    fs::path project_path;
    fs::path images_override;
    io::ExportOptions options;
    bool have_format = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* name) -> const std::string& {
            if (i + 1 >= args.size()) throw std::invalid_argument(std::string(name) + " needs a value");
            return args[++i];
        };
        if (a == "--format") {
            const std::string& v = value("--format");
            const auto f = io::parse_export_format(v);
            if (!f) {
                std::cerr << "samlabel-cli export: unknown format '" << v << "'\n" << kUsage;
                return kExitUsage;
            }
            options.format = *f;
            have_format = true;
        } else if (a == "--out") {
            options.output_dir = io::path_from_utf8(value("--out"));
        } else if (a == "--split") {
            options.split = io::parse_split_fractions(value("--split"));
        } else if (a == "--seed") {
            const std::string& v = value("--seed");
            std::uint64_t seed = 0;
            if (std::from_chars(v.data(), v.data() + v.size(), seed).ptr != v.data() + v.size())
                throw std::invalid_argument("--seed '" + v + "' is not a non-negative integer");
            options.seed = seed;
        } else if (a == "--link") {
            options.image_transfer = io::ImageTransfer::HardLink;
        } else if (a == "--copy") {
            options.image_transfer = io::ImageTransfer::Copy;
        } else if (a == "--no-images") {
            options.image_transfer = io::ImageTransfer::None;
        } else if (a == "--tolerance" || a == "--min-area") {
            const std::string& v = value(a.c_str());
            double d = 0;
            if (std::from_chars(v.data(), v.data() + v.size(), d).ptr != v.data() + v.size() || !(d >= 0))
                throw std::invalid_argument(a + " '" + v + "' is not a non-negative number of pixels");
            (a == "--tolerance" ? options.tolerance_px : options.min_area_px) = d;
        } else if (a == "--coco-masks") {
            const std::string& v = value("--coco-masks");
            if (v == "rle") options.coco_masks = io::CocoMaskEncoding::Rle;
            else if (v == "polygons") options.coco_masks = io::CocoMaskEncoding::PolygonsUnlessHoles;
            else throw std::invalid_argument("--coco-masks must be rle or polygons");
        } else if (a == "--include-unannotated") {
            options.include_unannotated = true;
        } else if (a == "--only-reviewed") {
            options.only_reviewed = true;
        } else if (a == "--resplit") {
            options.resplit_imported = true;
        } else if (a == "--force") {
            options.replace_foreign_output = true;
        } else if (a == "--images") {
            images_override = io::path_from_utf8(value("--images"));
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "samlabel-cli export: unknown option " << a << "\n" << kUsage;
            return kExitUsage;
        } else if (project_path.empty()) {
            project_path = io::path_from_utf8(a);
        } else {
            std::cerr << "samlabel-cli export: unexpected argument " << a << "\n" << kUsage;
            return kExitUsage;
        }
    }
    if (project_path.empty() || !have_format || options.output_dir.empty()) {
        std::cerr << "samlabel-cli export: PROJECT_JSON, --format and --out are required\n" << kUsage;
        return kExitUsage;
    }
    // Parse, not load_project_file: an export must never move a broken project aside.
    const annotation::Project project = annotation::parse(read_file(project_path), io::path_to_utf8(project_path));
    const fs::path image_root = !images_override.empty()
                                    ? images_override
                                    : fs::absolute(project_path).parent_path() / io::path_from_utf8(project.image_root);
    std::size_t last_percent = 101;
    options.progress = [&](std::size_t done, std::size_t total) {
        const std::size_t percent = total ? done * 100 / total : 100;
        if (percent / 10 != last_percent / 10) std::cerr << "\rexporting: " << percent << "%" << std::flush;
        last_percent = percent;
        return true;
    };
    options.project_file = project_path;  // recorded in report.json: whose folder it is
    io::ExportReport report;
    try {
        report = io::export_dataset(project, image_root, options);
    } catch (const io::ExportFolderInUse& e) {
        std::cerr << "samlabel-cli export: " << e.inspection().describe(options.output_dir) << "; pass --force to replace it\n";
        return kExitFailure;
    } catch (const io::NothingToExport& e) {
        std::cerr << "samlabel-cli export: " << e.what()
                  << (e.unannotated() > 0 ? "; --include-unannotated exports them as background images" : "") << "\n";
        return kExitFailure;
    }
    std::cerr << "\n";
    io::write_report_text(report, std::cout);
    return kExitOk;
}

}  // namespace samlabel::cli
