#include "core/io/yolo_export.h"

#include "core/io/atomic_file.h"
#include "core/io/export_start.h"
#include "core/io/export_image_plan.h"
#include "core/io/image_reader.h"
#include "core/io/export_image_transfer.h"
#include "core/io/yolo_data_yaml.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;

void append_coordinate(std::string& out, double value) {
    value = std::clamp(value, 0.0, 1.0);
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 6);
    out += ' ';
    out.append(buf, r.ptr);
}

void append_class(std::string& out, int class_index) {
    char buf[16];
    const auto r = std::to_chars(buf, buf + sizeof buf, class_index);
    out.append(buf, r.ptr);
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) throw std::runtime_error(path_to_utf8(path) + ": cannot write");
}

void note_all(ExportReport& report, const annotation::ImageAnnotations& image, std::uint64_t id,
              const std::vector<std::string>& notes) {
    for (const std::string& n : notes) report.warn(image.relative_path + " instance " + std::to_string(id) + ": " + n);
}

}  // namespace

void append_yolo_box_line(std::string& out, int class_index, const cv::Rect2d& box, int w, int h) {
    // Clamp the corners first, so the box stays inside [0,1] as a whole.
    const double x0 = std::clamp(box.x / w, 0.0, 1.0), x1 = std::clamp((box.x + box.width) / w, 0.0, 1.0);
    const double y0 = std::clamp(box.y / h, 0.0, 1.0), y1 = std::clamp((box.y + box.height) / h, 0.0, 1.0);
    append_class(out, class_index);
    append_coordinate(out, (x0 + x1) / 2.0);
    append_coordinate(out, (y0 + y1) / 2.0);
    append_coordinate(out, x1 - x0);
    append_coordinate(out, y1 - y0);
    out += '\n';
}

void append_yolo_polygon_line(std::string& out, int class_index, const Ring& ring, int w, int h) {
    append_class(out, class_index);
    for (const annotation::Point& p : ring) {
        append_coordinate(out, p.x / w);
        append_coordinate(out, p.y / h);
    }
    out += '\n';
}

std::size_t write_yolo_labels(std::string& out, const annotation::ImageAnnotations& image, int w, int h,
                              const DenseClassMap& classes, YoloTask task, const PolygonExportOptions& polygon_options,
                              ExportReport& report) {
    std::size_t written = 0;
    for (const annotation::Instance& inst : image.instances) {
        const std::optional<int> cls = export_class_index(inst, image.relative_path, classes, report);
        if (!cls) continue;
        if (task == YoloTask::Detect) {
            const ExportGeometry g = export_box(inst, w, h);
            if (!g.ok) {
                report.skip(image.relative_path, inst.id, g.reason, g.detail);
                continue;
            }
            note_all(report, image, inst.id, g.notes);
            append_yolo_box_line(out, *cls, g.box, w, h);
        } else {
            const ExportGeometry g = export_polygons(inst, w, h, polygon_options);
            if (!g.ok) {
                report.skip(image.relative_path, inst.id, g.reason, g.detail);
                continue;
            }
            note_all(report, image, inst.id, g.notes);
            if (g.polygons.size() == 1 && g.polygons.front().holes.empty())
                append_yolo_polygon_line(out, *cls, g.polygons.front().outer, w, h);
            else
                append_yolo_polygon_line(out, *cls, bridge_polygons(g.polygons), w, h);
        }
        ++written;
    }
    report.instances_written += written;
    return written;
}

ExportReport export_yolo_dataset(const annotation::Project& project, const fs::path& image_root,
                                 const ExportOptions& options) {
    if (options.format != ExportFormat::YoloDetect && options.format != ExportFormat::YoloSegment)
        throw std::invalid_argument("export_yolo_dataset: not a YOLO format");
    if (options.image_transfer == ImageTransfer::None)
        throw std::invalid_argument("YOLO datasets need the images beside the labels: use copy or hard link");
    const YoloTask task = options.format == ExportFormat::YoloDetect ? YoloTask::Detect : YoloTask::Segment;
    if (project.classes().empty())
        throw std::runtime_error("the project has no classes; YOLO needs at least one class name");
    const SplitFractions fractions = options.split.value_or(SplitFractions{});
    ExportStart start = begin_export(project, image_root, options, fractions);
    ExportReport& report = start.report;
    const fs::path out = report.output_dir;
    const std::vector<ExportImage>& images = start.images;
    const DenseClassMap& classes = start.classes;
    PolygonExportOptions polygon_options;
    polygon_options.tolerance_px = options.tolerance_px;
    polygon_options.min_area_px = options.min_area_px;

    // Ultralytics' check_det_dataset requires the val folder to exist even when
    // empty; train too. Test only when asked for.
    std::set<std::string> splits = {"train", "val"};
    if (fractions.test > 0.0) splits.insert("test");
    for (const std::string& s : splits) {
        fs::create_directories(out / "images" / s);
        fs::create_directories(out / "labels" / s);
    }
    std::set<fs::path> made_dirs;
    ExportImageTransfer transfer(options.image_transfer, report);
    std::string label_text;
    std::size_t done = 0;
    for (const ExportImage& e : images) {
        if (options.progress && !options.progress(done, images.size())) {
            report.cancelled = true;
            break;
        }
        const std::string split = dataset_split_name(e.split);
        const fs::path image_to = out / "images" / split / path_from_utf8(e.output_relative);
        const fs::path label_to = out / "labels" / split / path_from_utf8(replace_extension_utf8(e.output_relative, ".txt"));
        if (made_dirs.insert(image_to.parent_path()).second) {
            fs::create_directories(image_to.parent_path());
            fs::create_directories(label_to.parent_path());
        }
        label_text.clear();
        write_yolo_labels(label_text, *e.annotations, e.width, e.height, classes, task, polygon_options, report);
        write_bytes(label_to, label_text);
        transfer.put(e.source, image_to);
        ++report.images;
        ++report.images_per_split[split];
        ++done;
    }
    if (options.progress && !report.cancelled) options.progress(done, images.size());
    transfer.warn_if_links_refused();
    for (const std::string& s : splits)
        if (!report.cancelled && report.images_per_split[s] == 0)
            report.warn("the " + s + " split has no images (too few images for the fractions, or change --seed); "
                        "Ultralytics cannot " + (s == "train" ? "train" : "validate") + " on an empty split");

    YoloDataYaml yaml;
    yaml.path = path_to_utf8(out);
    for (const std::string& s : splits) yaml.splits[s] = "images/" + s;
    for (const annotation::LabelClass& c : classes.classes()) yaml.names.push_back(c.name);
    std::ostringstream yaml_text;
    write_data_yaml(yaml, yaml_text);
    write_file_atomically(out / "data.yaml", yaml_text.str());
    finish_export(report, classes);
    return std::move(report);
}

}  // namespace samlabel::io
