#include "core/io/yolo_import.h"

#include "core/io/image_folder.h"
#include "core/io/image_reader.h"
#include "core/io/yolo_data_yaml.h"
#include "core/io/yolo_data_yaml_paths.h"

#include <charconv>
#include <cmath>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path_to_utf8(path) + ": cannot open");
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// Distinct colours for imported classes (Tableau 10).
std::uint32_t palette_colour(std::size_t i) {
    static const std::uint32_t kPalette[] = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f,
                                             0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};
    return kPalette[i % 10];
}

std::vector<std::string> read_classes_txt(const fs::path& path) {
    std::vector<std::string> names;
    std::istringstream in(read_text(path));
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (names.empty() && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (!line.empty()) names.push_back(line);
    }
    return names;
}

// Class names: data.yaml, another *.yaml with names, then classes.txt.
std::vector<std::string> find_class_names(const fs::path& dir, ImportReport& report) {
    std::vector<fs::path> yamls;
    if (fs::exists(dir / "data.yaml")) yamls.push_back(dir / "data.yaml");
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string ext = path_to_utf8(entry.path().extension());
        if ((ext == ".yaml" || ext == ".yml") && entry.path().filename() != "data.yaml") yamls.push_back(entry.path());
    }
    for (const fs::path& y : yamls) {
        std::optional<YoloDataYaml> data;
        try {
            data = parse_data_yaml(read_text(y), path_to_utf8(y));
        } catch (const std::runtime_error& e) {
            report.problems.push_back(e.what());
            continue;
        }
        // A file that points outside its dataset is refused, not skipped (throws UnsafePathError).
        for (std::string& note : check_data_yaml_paths(*data, dir, path_to_utf8(y))) report.notes.push_back(std::move(note));
        if (y.filename() != "data.yaml") report.notes.push_back("class names from " + path_to_utf8(y.filename()));
        return data->names;
    }
    for (const fs::path& c : {dir / "classes.txt", dir / "labels" / "classes.txt"}) {
        if (fs::exists(c)) {
            report.notes.push_back("class names from " + path_to_utf8(fs::relative(c, dir)));
            return read_classes_txt(c);
        }
    }
    throw std::runtime_error(path_to_utf8(dir) + ": no data.yaml (with names) and no classes.txt");
}

// Ultralytics img2label_paths: the last "/images/" becomes "/labels/", the extension ".txt".
fs::path label_path_for(const fs::path& image) {
    const std::u8string generic = image.generic_u8string();
    std::string s(generic.begin(), generic.end());
    const std::size_t at = s.rfind("/images/");
    if (at == std::string::npos) return {};
    s.replace(at, 8, "/labels/");
    const std::size_t dot = s.rfind('.');
    const std::size_t slash = s.rfind('/');
    if (dot != std::string::npos && dot > slash) s.erase(dot);
    return path_from_utf8(s + ".txt");
}

bool is_inside(const fs::path& inner, const fs::path& outer) {
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
}

// Lexically inside is not enough: a link in a downloaded dataset may lead
// anywhere (images -> /, x.jpg -> ~/.ssh/id_rsa). `real_root` is canonical.
bool resolves_inside(const fs::path& p, const fs::path& real_root) {
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(p, ec);
    return !ec && (real == real_root || is_inside(real, real_root));
}

std::string link_target(const fs::path& p) {
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(p, ec);
    return ec ? ec.message() : path_to_utf8(real);
}

// A dataset folder name as a split: train/training, val/valid/validation
// (Roboflow writes "valid"), test/testing; "" for anything else.
std::string split_of_folder(std::string name) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "train" || name == "training") return "train";
    if (name == "val" || name == "valid" || name == "validation") return "val";
    if (name == "test" || name == "testing") return "test";
    return {};
}

// Where an image sits in the dataset: <dir>/images/<split>/<path> or
// <dir>/<split>/images/<path>. nullopt when no folder names a split.
std::optional<annotation::DatasetPlacement> placement_of(const fs::path& dir, const fs::path& images_dir,
                                                         const std::string& rel_in_images) {
    if (images_dir != dir / "images") {  // <dir>/<split>/images/<path>
        const std::string split = split_of_folder(path_to_utf8(images_dir.parent_path().filename()));
        if (split.empty()) return std::nullopt;
        return annotation::DatasetPlacement{split, rel_in_images};
    }
    const std::size_t slash = rel_in_images.find('/');  // <dir>/images/<split>/<path>
    if (slash == std::string::npos) return std::nullopt;
    const std::string split = split_of_folder(rel_in_images.substr(0, slash));
    if (split.empty()) return std::nullopt;
    return annotation::DatasetPlacement{split, rel_in_images.substr(slash + 1)};
}

}  // namespace

std::vector<YoloLabelRow> parse_yolo_labels(std::string_view text, const std::string& source,
                                            std::vector<std::string>& problems) {
    std::vector<YoloLabelRow> rows;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    int line_no = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        std::vector<double> tokens;
        bool bad_number = false;
        std::size_t pos = 0;
        while (pos < line.size()) {
            while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) ++pos;
            if (pos >= line.size()) break;
            std::size_t tok_end = pos;
            while (tok_end < line.size() && line[tok_end] != ' ' && line[tok_end] != '\t' && line[tok_end] != '\r') ++tok_end;
            double v = 0.0;
            const auto r = std::from_chars(line.data() + pos, line.data() + tok_end, v);
            if (r.ec != std::errc() || r.ptr != line.data() + tok_end || !std::isfinite(v)) bad_number = true;
            tokens.push_back(v);
            pos = tok_end;
        }
        if (tokens.empty()) continue;
        const std::string where = source + ": line " + std::to_string(line_no) + ": ";
        if (bad_number) {
            problems.push_back(where + "not a list of numbers");
            continue;
        }
        if (tokens[0] < 0 || tokens[0] != std::floor(tokens[0]) || tokens[0] > 1e6) {
            problems.push_back(where + "class '" + std::to_string(tokens[0]) + "' is not a class index");
            continue;
        }
        const std::size_t n = tokens.size() - 1;
        if (n != 4 && (n < 6 || n % 2 != 0)) {
            problems.push_back(where + std::to_string(n) +
                               " coordinates: expected 4 (box) or an even number >= 6 (polygon of >= 3 points)");
            continue;
        }
        YoloLabelRow row;
        row.class_index = static_cast<int>(tokens[0]);
        row.values.assign(tokens.begin() + 1, tokens.end());
        if (row.is_box() && (row.values[2] <= 0.0 || row.values[3] <= 0.0)) {
            problems.push_back(where + "box with zero or negative size");
            continue;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

annotation::Instance yolo_row_to_instance(const YoloLabelRow& row, annotation::ClassId class_id, int w, int h) {
    annotation::Instance inst;
    inst.class_id = class_id;
    inst.source = annotation::InstanceSource::Manual;
    annotation::PolygonWithHoles poly;
    if (row.is_box()) {
        const double cx = row.values[0], cy = row.values[1], bw = row.values[2], bh = row.values[3];
        const double x0 = (cx - bw / 2.0) * w, x1 = (cx + bw / 2.0) * w;
        const double y0 = (cy - bh / 2.0) * h, y1 = (cy + bh / 2.0) * h;
        poly.outer = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
    } else {
        for (std::size_t i = 0; i + 1 < row.values.size(); i += 2)
            poly.outer.push_back({row.values[i] * w, row.values[i + 1] * h});
    }
    inst.polygons.push_back(std::move(poly));
    return inst;
}

annotation::Project import_yolo_dataset(const fs::path& dataset_dir, const YoloImportOptions& options,
                                        ImportReport& report) {
    const fs::path dir = fs::absolute(dataset_dir).lexically_normal();
    if (!fs::is_directory(dir)) throw std::runtime_error(path_to_utf8(dataset_dir) + ": not a folder");
    const fs::path root = fs::absolute(options.image_root.empty() ? dataset_dir : options.image_root).lexically_normal();

    annotation::Project project;
    const std::vector<std::string> names = find_class_names(dir, report);
    std::vector<annotation::ClassId> class_ids;
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string name = names[i];
        for (int n = 2; project.find_class_by_name(name); ++n) name = names[i] + " (" + std::to_string(n) + ")";
        if (name != names[i]) report.notes.push_back("class " + std::to_string(i) + " '" + names[i] + "' renamed to '" + name + "' (duplicate name)");
        class_ids.push_back(project.add_class(name, palette_colour(i)));
    }
    report.classes = class_ids.size();

    // Images: everything under an "images" folder at the top or one level down.
    std::error_code root_ec;
    const fs::path real_root = fs::weakly_canonical(root, root_ec);
    if (root_ec) throw std::runtime_error(path_to_utf8(root) + ": " + root_ec.message());
    std::vector<fs::path> image_dirs;
    const auto add_image_dir = [&](const fs::path& images) {
        if (resolves_inside(images, real_root)) image_dirs.push_back(images);
        else report.problems.push_back(path_to_utf8(images) + ": a link to " + link_target(images) +
                                       ", outside the image folder " + path_to_utf8(root) + "; not imported");
    };
    if (fs::is_directory(dir / "images")) add_image_dir(dir / "images");
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_directory() && fs::is_directory(entry.path() / "images")) add_image_dir(entry.path() / "images");
    if (image_dirs.empty())
        throw std::runtime_error(path_to_utf8(dataset_dir) + ": no images/ folder (expected images/<split>/ or <split>/images/)");

    const std::int64_t now = annotation::unix_now_ms();
    std::set<fs::path> seen_labels;
    std::map<std::string, std::size_t> per_split;
    std::size_t without_split = 0;
    for (const fs::path& images_dir : image_dirs) {
        const ImageFolderScan scan = scan_image_folder(images_dir);
        for (const std::string& e : scan.errors) report.problems.push_back(e);
        for (const std::string& rel_in_images : scan.relative_paths) {
            const fs::path image = resolve_image_path(images_dir, rel_in_images);
            if (!is_inside(image, root)) {
                report.problems.push_back(path_to_utf8(image) + ": outside the image folder " + path_to_utf8(root) + ", not imported");
                continue;
            }
            if (!resolves_inside(image, real_root)) {
                report.problems.push_back(path_to_utf8(image) + ": a link to " + link_target(image) +
                                          ", outside the image folder " + path_to_utf8(root) + "; not imported");
                continue;
            }
            const std::string rel = path_to_utf8(image.lexically_relative(root).generic_u8string());
            const std::optional<ImageHeaderInfo> header = read_image_header(image);
            if (!header) {
                report.problems.push_back(path_to_utf8(image) + ": unreadable image, its labels were not imported");
                continue;
            }
            annotation::ImageAnnotations& entry = project.ensure_image(rel, header->width, header->height);
            ++report.images;
            // Exports put the image back into its split under its own name.
            entry.placement = placement_of(dir, images_dir, rel_in_images);
            if (entry.placement) ++per_split[entry.placement->split];
            else ++without_split;
            const fs::path label = label_path_for(image);
            if (label.empty() || !fs::exists(label)) continue;  // no label file: not annotated yet
            if (!resolves_inside(label, real_root)) {
                report.problems.push_back(path_to_utf8(label) + ": a link to " + link_target(label) +
                                          ", outside the image folder " + path_to_utf8(root) + "; its labels were not imported");
                continue;
            }
            seen_labels.insert(label.lexically_normal());
            std::vector<std::string> problems;
            const std::string label_name = path_to_utf8(label.lexically_relative(dir).generic_u8string());
            const std::vector<YoloLabelRow> rows = parse_yolo_labels(read_text(label), label_name, problems);
            for (std::string& p : problems) report.problems.push_back(std::move(p));
            for (const YoloLabelRow& row : rows) {
                if (row.class_index >= static_cast<int>(class_ids.size())) {
                    report.problems.push_back(label_name + ": class " + std::to_string(row.class_index) +
                                              " is not in the " + std::to_string(class_ids.size()) + " class names");
                    continue;
                }
                annotation::Instance inst = yolo_row_to_instance(row, class_ids[row.class_index], header->width, header->height);
                inst.id = project.allocate_instance_id();
                inst.created_ms = inst.modified_ms = now;
                entry.instances.push_back(std::move(inst));
                ++report.instances;
            }
            entry.status = annotation::ImageStatus::Done;
        }
    }
    // Label files without an image are data the user may miss: name them.
    for (const fs::path& images_dir : image_dirs) {
        const fs::path labels_dir = images_dir.parent_path() / "labels";
        if (!fs::is_directory(labels_dir)) continue;
        for (const auto& entry : fs::recursive_directory_iterator(labels_dir)) {
            if (!entry.is_regular_file() || entry.path().extension() != ".txt" || entry.path().filename() == "classes.txt") continue;
            if (!seen_labels.count(entry.path().lexically_normal()))
                report.problems.push_back(path_to_utf8(entry.path().lexically_relative(dir).generic_u8string()) +
                                          ": label file without an image, not imported");
        }
    }
    if (report.images == 0) throw std::runtime_error(path_to_utf8(dataset_dir) + ": no images found");
    if (!per_split.empty()) {
        std::string note = "dataset split kept for export:";
        for (const auto& [split, n] : per_split) note += " " + split + " " + std::to_string(n);
        report.notes.push_back(note);
    }
    if (without_split > 0)
        report.notes.push_back(std::to_string(without_split) +
                               " image(s) are in no train/val/test folder; exports split them by the hash of their path");
    return project;
}

}  // namespace samlabel::io
