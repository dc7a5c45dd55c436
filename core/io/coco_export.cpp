#include "core/io/coco_export.h"

#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "core/annotation/atomic_file.h"
#include "core/io/dataset_relative_path.h"
#include "core/io/export_start.h"
#include "core/io/export_geometry.h"
#include "core/io/image_reader.h"
#include "core/io/export_image_transfer.h"

#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

ordered_json rle_segmentation(const annotation::RleMask& rle) {
    return ordered_json{{"size", {rle.height, rle.width}}, {"counts", annotation::rle_to_coco_string(rle)}};
}

ordered_json polygon_segmentation(const std::vector<annotation::PolygonWithHoles>& polygons) {
    ordered_json list = ordered_json::array();
    for (const annotation::PolygonWithHoles& p : polygons) {
        std::vector<double> flat;
        flat.reserve(p.outer.size() * 2);
        for (const annotation::Point& v : p.outer) {
            flat.push_back(v.x);
            flat.push_back(v.y);
        }
        list.push_back(std::move(flat));
    }
    return list;
}

ordered_json box_json(const cv::Rect2d& b) { return ordered_json::array({b.x, b.y, b.width, b.height}); }

void note_all(ExportReport& report, const std::string& image, std::uint64_t id, const std::vector<std::string>& notes) {
    for (const std::string& n : notes) report.warn(image + " instance " + std::to_string(id) + ": " + n);
}

// One annotation's geometry fields; false (skip recorded) if not writable.
bool fill_geometry(ordered_json& ann, const annotation::Instance& inst, const ExportImage& e,
                   const CocoBuildOptions& options, ExportReport& report) {
    const std::string& rel = e.annotations->relative_path;
    const bool rle_for_mask = inst.mask && options.masks == CocoMaskEncoding::Rle;
    if (rle_for_mask) {
        const ExportGeometry g = export_box(inst, e.width, e.height);  // validates size, emptiness
        if (!g.ok) {
            report.skip(rel, inst.id, g.reason, g.detail);
            return false;
        }
        ann["segmentation"] = rle_segmentation(*inst.mask);
        ann["area"] = static_cast<double>(annotation::rle_area(*inst.mask));
        ann["bbox"] = box_json(g.box);
        return true;
    }
    PolygonExportOptions po;
    po.tolerance_px = options.tolerance_px;
    po.min_area_px = options.min_area_px;
    const ExportGeometry g = export_polygons(inst, e.width, e.height, po);
    if (!g.ok) {
        report.skip(rel, inst.id, g.reason, g.detail);
        return false;
    }
    if (g.has_holes) {
        // Masks are used as they are (lossless); polygons with holes are rasterised.
        annotation::RleMask rle = inst.mask ? *inst.mask
                                            : annotation::encode_rle(annotation::polygons_to_mask(
                                                  g.polygons, cv::Size(e.width, e.height)));
        const cv::Rect b = annotation::rle_bbox(rle);
        if (b.width <= 0 || b.height <= 0) {
            report.skip(rel, inst.id, SkipReason::Degenerate, "polygon covers no pixel centre");
            return false;
        }
        if (!inst.mask) note_all(report, rel, inst.id, g.notes);
        ann["segmentation"] = rle_segmentation(rle);
        ann["area"] = static_cast<double>(annotation::rle_area(rle));
        ann["bbox"] = box_json(cv::Rect2d(b.x, b.y, b.width, b.height));
        return true;
    }
    note_all(report, rel, inst.id, g.notes);
    ann["segmentation"] = polygon_segmentation(g.polygons);
    ann["area"] = inst.mask ? static_cast<double>(annotation::rle_area(*inst.mask)) : annotation::polygons_area(g.polygons);
    ann["bbox"] = box_json(g.box);
    return true;
}

std::string utc_now_iso() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &t);
#else
    gmtime_r(&t, &tm);
#endif
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

ordered_json build_coco_json(const std::vector<ExportImage>& images, const DenseClassMap& classes,
                             const CocoBuildOptions& options, ExportReport& report) {
    ordered_json doc;
    doc["info"] = {{"description", "exported by samlabel"}, {"date_created", utc_now_iso()}};
    doc["licenses"] = ordered_json::array();
    ordered_json image_list = ordered_json::array();
    ordered_json annotations = ordered_json::array();
    std::int64_t image_id = 0, annotation_id = 0;
    for (const ExportImage& e : images) {
        ++image_id;
        image_list.push_back(
            {{"id", image_id}, {"file_name", e.output_relative}, {"width", e.width}, {"height", e.height}});
        for (const annotation::Instance& inst : e.annotations->instances) {
            const std::optional<int> cls = export_class_index(inst, e.annotations->relative_path, classes, report);
            if (!cls) continue;
            ordered_json ann;
            ann["id"] = annotation_id + 1;
            ann["image_id"] = image_id;
            ann["category_id"] = *cls + 1;
            if (!fill_geometry(ann, inst, e, options, report)) continue;
            ann["iscrowd"] = 0;
            ann["samlabel_instance_id"] = inst.id;
            annotations.push_back(std::move(ann));
            ++annotation_id;
            ++report.instances_written;
        }
    }
    doc["images"] = std::move(image_list);
    doc["annotations"] = std::move(annotations);
    ordered_json categories = ordered_json::array();
    for (std::size_t i = 0; i < classes.size(); ++i)
        categories.push_back({{"id", i + 1}, {"name", classes.classes()[i].name}, {"supercategory", ""}});
    doc["categories"] = std::move(categories);
    return doc;
}

ExportReport export_coco_dataset(const annotation::Project& project, const fs::path& image_root,
                                 const ExportOptions& options) {
    if (options.format != ExportFormat::Coco) throw std::invalid_argument("export_coco_dataset: not the COCO format");
    ExportStart start = begin_export(project, image_root, options, options.split);
    ExportReport& report = start.report;
    const fs::path out = start.staging.dir();  // swapped into report.output_dir by finish_export
    const std::vector<ExportImage>& all = start.images;
    const DenseClassMap& classes = start.classes;
    CocoBuildOptions build;
    build.masks = options.coco_masks;
    build.tolerance_px = options.tolerance_px;
    build.min_area_px = options.min_area_px;

    std::map<std::string, std::vector<ExportImage>> by_split;
    for (const ExportImage& e : all) by_split[dataset_split_name(e.split)].push_back(e);
    if (options.split) {  // every requested split gets a file, even an empty one
        by_split["train"], by_split["val"];
        if (options.split->test > 0.0) by_split["test"];
    }
    fs::create_directories(out / "annotations");
    ExportImageTransfer transfer(options.image_transfer, report);
    std::size_t done = 0;
    for (auto& [split, images] : by_split) {
        const fs::path image_dir = options.split ? out / "images" / split : out / "images";
        std::vector<ExportImage> written;
        for (ExportImage& e : images) {
            if (options.progress && !options.progress(done, all.size())) {
                report.cancelled = true;
                break;
            }
            if (transfer.enabled()) {
                const fs::path to = path_inside(image_dir, e.output_relative);
                fs::create_directories(to.parent_path());
                transfer.put(e.source, to);
            } else {
                e.output_relative = e.annotations->relative_path;  // images stay where they are
            }
            written.push_back(e);
            ++done;
        }
        const ordered_json doc = build_coco_json(written, classes, build, report);
        report.images += written.size();
        if (options.split) report.images_per_split[split] = written.size();
        const std::string name = options.split ? "instances_" + split + ".json" : "instances.json";
        annotation::write_file_atomically(out / "annotations" / name, doc.dump());
        if (report.cancelled) break;
    }
    if (options.progress && !report.cancelled) options.progress(done, all.size());
    if (options.image_transfer == ImageTransfer::None)
        report.warn("images were not copied; file_name is relative to " + path_to_utf8(fs::absolute(image_root)));
    transfer.warn_if_links_refused();
    finish_export(start);
    return std::move(report);
}

}  // namespace samlabel::io
