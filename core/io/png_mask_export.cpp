#include "core/io/png_mask_export.h"

#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "core/annotation/atomic_file.h"
#include "core/io/dataset_relative_path.h"
#include "core/io/export_start.h"
#include "core/io/export_geometry.h"
#include "core/io/export_image_plan.h"
#include "core/io/image_reader.h"
#include "core/io/image_writer.h"
#include "core/io/export_image_transfer.h"

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

void write_png(const fs::path& path, const cv::Mat& image) { write_png_file(path, image); }

}  // namespace

PngMaskImages render_png_masks(const annotation::ImageAnnotations& image, int w, int h, const DenseClassMap& classes,
                               ExportReport& report) {
    struct Drawn {
        const annotation::Instance* instance;
        int class_index;
        cv::Mat mask;  // CV_8UC1 0/255, full frame
    };
    std::vector<Drawn> drawn;
    for (const annotation::Instance& inst : image.instances) {
        const std::optional<int> cls = export_class_index(inst, image.relative_path, classes, report);
        if (!cls) continue;
        cv::Mat mask;
        if (inst.mask) {
            const ExportGeometry g = export_box(inst, w, h);
            if (!g.ok) {
                report.skip(image.relative_path, inst.id, g.reason, g.detail);
                continue;
            }
            mask = annotation::decode_rle(*inst.mask);
        } else {
            const ExportGeometry g = export_polygons(inst, w, h, PolygonExportOptions{});
            if (!g.ok) {
                report.skip(image.relative_path, inst.id, g.reason, g.detail);
                continue;
            }
            mask = annotation::polygons_to_mask(g.polygons, cv::Size(w, h));
            if (cv::countNonZero(mask) == 0) {
                report.skip(image.relative_path, inst.id, SkipReason::Degenerate, "polygon covers no pixel centre");
                continue;
            }
        }
        drawn.push_back({&inst, *cls, std::move(mask)});
    }
    const int id_type = drawn.size() > 255 ? CV_16UC1 : CV_8UC1;
    const int class_type = classes.size() > 255 ? CV_16UC1 : CV_8UC1;
    PngMaskImages out;
    out.instance_ids = cv::Mat(h, w, id_type, cv::Scalar(0));
    out.semantic = cv::Mat(h, w, class_type, cv::Scalar(0));
    for (std::size_t k = 0; k < drawn.size(); ++k) {
        out.instance_ids.setTo(cv::Scalar(double(k + 1)), drawn[k].mask);
        out.semantic.setTo(cv::Scalar(double(drawn[k].class_index + 1)), drawn[k].mask);
    }
    // An instance entirely covered by later ones is not in the PNG: say so.
    std::vector<std::uint64_t> visible(drawn.size() + 1, 0);
    for (int r = 0; r < h; ++r) {
        if (id_type == CV_8UC1) {
            const auto* row = out.instance_ids.ptr<std::uint8_t>(r);
            for (int c = 0; c < w; ++c) ++visible[row[c]];
        } else {
            const auto* row = out.instance_ids.ptr<std::uint16_t>(r);
            for (int c = 0; c < w; ++c) ++visible[row[c]];
        }
    }
    out.legend = ordered_json::array();
    for (std::size_t k = 0; k < drawn.size(); ++k) {
        const annotation::Instance& inst = *drawn[k].instance;
        if (visible[k + 1] == 0) {
            report.skip(image.relative_path, inst.id, SkipReason::Hidden, "covered by later instances");
            continue;
        }
        out.legend.push_back({{"value", k + 1},
                              {"instance_id", inst.id},
                              {"class_index", drawn[k].class_index},
                              {"class_id", inst.class_id},
                              {"visible_pixels", visible[k + 1]}});
        ++report.instances_written;
    }
    return out;
}

ExportReport export_png_masks(const annotation::Project& project, const fs::path& image_root, const ExportOptions& options) {
    if (options.format != ExportFormat::PngMasks) throw std::invalid_argument("export_png_masks: not the PNG mask format");
    ExportStart start = begin_export(project, image_root, options, options.split);
    ExportReport& report = start.report;
    const fs::path out = start.staging.dir();  // swapped into report.output_dir by finish_export
    const std::vector<ExportImage>& images = start.images;
    const DenseClassMap& classes = start.classes;

    ordered_json legend;
    legend["about"] = "instances/*.png: 0 = background, value = instance (see images); semantic/*.png: 0 = background, "
                      "value = class index + 1";
    ordered_json class_list = ordered_json::array();
    class_list.push_back({{"value", 0}, {"name", "background"}, {"color", "#000000"}});
    for (std::size_t i = 0; i < classes.size(); ++i) {
        char colour[8];
        std::snprintf(colour, sizeof colour, "#%06x", classes.classes()[i].rgb & 0xffffffU);
        class_list.push_back({{"value", i + 1}, {"name", classes.classes()[i].name}, {"class_id", classes.classes()[i].id},
                              {"color", colour}});
    }
    legend["classes"] = std::move(class_list);
    ordered_json image_list = ordered_json::array();

    ExportImageTransfer transfer(options.image_transfer, report);
    std::size_t done = 0;
    for (const ExportImage& e : images) {
        if (options.progress && !options.progress(done, images.size())) {
            report.cancelled = true;
            break;
        }
        const std::string split_prefix = options.split ? std::string(dataset_split_name(e.split)) + "/" : "";
        const std::string png_rel = split_prefix + replace_extension_utf8(e.output_relative, ".png");
        PngMaskImages masks = render_png_masks(*e.annotations, e.width, e.height, classes, report);
        const fs::path inst_path = path_inside(out / "instances", png_rel);
        const fs::path sem_path = path_inside(out / "semantic", png_rel);
        fs::create_directories(inst_path.parent_path());
        fs::create_directories(sem_path.parent_path());
        write_png(inst_path, masks.instance_ids);
        write_png(sem_path, masks.semantic);
        ordered_json entry{{"image", e.annotations->relative_path},
                           {"instances_png", "instances/" + png_rel},
                           {"semantic_png", "semantic/" + png_rel},
                           {"width", e.width},
                           {"height", e.height},
                           {"instances", std::move(masks.legend)}};
        if (options.split) entry["split"] = dataset_split_name(e.split);
        if (transfer.enabled()) {
            const std::string image_rel = split_prefix + e.output_relative;
            const fs::path to = path_inside(out / "images", image_rel);
            fs::create_directories(to.parent_path());
            transfer.put(e.source, to);
            entry["image_file"] = "images/" + image_rel;
        }
        image_list.push_back(std::move(entry));
        ++report.images;
        if (options.split) ++report.images_per_split[dataset_split_name(e.split)];
        ++done;
    }
    if (options.progress && !report.cancelled) options.progress(done, images.size());
    transfer.warn_if_links_refused();
    legend["images"] = std::move(image_list);
    annotation::write_file_atomically(out / "legend.json", legend.dump(1));
    finish_export(start);
    return std::move(report);
}

}  // namespace samlabel::io
