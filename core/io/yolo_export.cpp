#include "core/io/yolo_export.h"

#include "core/annotation/atomic_file.h"
#include "core/io/dataset_relative_path.h"
#include "core/io/export_start.h"
#include "core/io/export_image_plan.h"
#include "core/io/image_reader.h"
#include "core/io/export_image_transfer.h"
#include "core/io/plain_file_write.h"
#include "core/io/yolo_data_yaml.h"

#include <algorithm>
#include <charconv>
#include <map>
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

// The folders data.yaml names. Ultralytics needs train and val, and stops on a
// split without images: an empty train or val reuses the other's images
// (said in the report), an empty test is left out.
std::map<std::string, std::string> data_yaml_splits(ExportReport& report, const SplitFractions& fractions,
                                                    std::size_t images) {
    const auto count = [&](const std::string& s) {
        const auto it = report.images_per_split.find(s);
        return it == report.images_per_split.end() ? std::size_t(0) : it->second;
    };
    std::map<std::string, std::string> splits;
    for (const std::string& s : {std::string("train"), std::string("val"), std::string("test")})
        if (count(s) > 0) splits[s] = "images/" + s;
    if (report.cancelled) return splits;
    const std::string few = "only " + std::to_string(images) + " image(s) to export";
    if (count("train") == 0 && count("val") > 0) {
        splits["train"] = "images/val";
        report.warn("train: no image to train on (" + few + "); data.yaml points train at the val images");
    }
    if (count("val") == 0 && count("train") > 0) {
        splits["val"] = "images/train";
        report.warn("val: no image could be set aside for validation (" + few +
                    "); data.yaml points val at the train images, so validation measures images the model trained on. "
                    "Annotate more images for a real val split");
    }
    if (fractions.test > 0.0 && count("test") == 0)
        report.warn("test: no image for the test split (" + few + "); test is left out of data.yaml");
    return splits;
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
    const fs::path out = start.staging.dir();  // swapped into report.output_dir by finish_export
    const std::vector<ExportImage>& images = start.images;
    const DenseClassMap& classes = start.classes;
    PolygonExportOptions polygon_options;
    polygon_options.tolerance_px = options.tolerance_px;
    polygon_options.min_area_px = options.min_area_px;

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
        const fs::path image_to = path_inside(out / "images" / split, e.output_relative);
        const fs::path label_to = path_inside(out / "labels" / split, replace_extension_utf8(e.output_relative, ".txt"));
        if (made_dirs.insert(image_to.parent_path()).second) {
            fs::create_directories(image_to.parent_path());
            fs::create_directories(label_to.parent_path());
        }
        label_text.clear();
        write_yolo_labels(label_text, *e.annotations, e.width, e.height, classes, task, polygon_options, report);
        write_plain_file(label_to, label_text);
        transfer.put(e.source, image_to);
        ++report.images;
        ++report.images_per_split[split];
        ++done;
    }
    if (options.progress && !report.cancelled) options.progress(done, images.size());
    transfer.warn_if_links_refused();
    YoloDataYaml yaml;
    yaml.path = path_to_utf8(report.output_dir);
    yaml.splits = data_yaml_splits(report, fractions, images.size());
    for (const annotation::LabelClass& c : classes.classes()) yaml.names.push_back(c.name);
    std::ostringstream yaml_text;
    write_data_yaml(yaml, yaml_text);
    annotation::write_file_atomically(out / "data.yaml", yaml_text.str());
    finish_export(start);
    return std::move(report);
}

}  // namespace samlabel::io
