#include "core/io/coco_import.h"

#include "core/annotation/rle.h"
#include "core/io/dataset_relative_path.h"
#include "core/io/image_folder.h"
#include "core/io/image_reader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::uint32_t palette_colour(std::size_t i) {
    static const std::uint32_t kPalette[] = {0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f,
                                             0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};
    return kPalette[i % 10];
}

const json& require(const json& obj, const char* key, const std::string& where) {
    const auto it = obj.find(key);
    if (it == obj.end()) throw std::runtime_error(where + ": missing \"" + key + "\"");
    return *it;
}

struct ImageInfo {
    std::string relative_path;
    int width = 0, height = 0;
    bool usable = true;
};

// One annotation's geometry; returns false with `why` if unusable.
bool read_geometry(const json& ann, const ImageInfo& img, annotation::Instance& inst, std::string& why) {
    const auto seg = ann.find("segmentation");
    if (seg != ann.end() && seg->is_array() && !seg->empty()) {
        for (const json& poly : *seg) {
            if (!poly.is_array() || poly.size() < 6 || poly.size() % 2 != 0) {
                why = "polygon with " + std::to_string(poly.is_array() ? poly.size() : 0) +
                      " numbers (needs an even count >= 6)";
                return false;
            }
            annotation::PolygonWithHoles p;
            for (std::size_t i = 0; i < poly.size(); i += 2) {
                if (!poly[i].is_number() || !poly[i + 1].is_number()) {
                    why = "polygon with a non-number";
                    return false;
                }
                p.outer.push_back({poly[i].get<double>(), poly[i + 1].get<double>()});
            }
            inst.polygons.push_back(std::move(p));
        }
        return true;
    }
    if (seg != ann.end() && seg->is_object()) {
        const auto size = seg->find("size");
        const auto counts = seg->find("counts");
        if (size == seg->end() || !size->is_array() || size->size() != 2 || counts == seg->end()) {
            why = "RLE without size [h, w] and counts";
            return false;
        }
        const int h = (*size)[0].get<int>(), w = (*size)[1].get<int>();
        if (w != img.width || h != img.height) {
            why = "RLE size " + std::to_string(w) + "x" + std::to_string(h) + " differs from the image's " +
                  std::to_string(img.width) + "x" + std::to_string(img.height);
            return false;
        }
        try {
            if (counts->is_string()) {
                inst.mask = annotation::rle_from_coco_string(counts->get<std::string>(), w, h);
            } else if (counts->is_array()) {
                annotation::RleMask m;
                m.width = w;
                m.height = h;
                m.counts = counts->get<std::vector<std::uint32_t>>();
                if (std::string e = annotation::rle_validation_error(m); !e.empty()) {
                    why = "RLE: " + e;
                    return false;
                }
                inst.mask = std::move(m);
            } else {
                why = "RLE counts are neither a string nor a list";
                return false;
            }
        } catch (const std::exception& e) {
            why = std::string("RLE: ") + e.what();
            return false;
        }
        return true;
    }
    const auto bbox = ann.find("bbox");
    if (bbox != ann.end() && bbox->is_array() && bbox->size() == 4) {
        const double x = (*bbox)[0].get<double>(), y = (*bbox)[1].get<double>();
        const double w = (*bbox)[2].get<double>(), h = (*bbox)[3].get<double>();
        if (!(w > 0 && h > 0)) {
            why = "bbox with no area";
            return false;
        }
        inst.polygons.push_back({{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}}, {}});
        return true;
    }
    why = "no segmentation and no bbox";
    return false;
}

annotation::Project import_document(const json& doc, const std::string& source, const CocoImportOptions& options,
                                    ImportReport& report) {
    if (!doc.is_object()) throw std::runtime_error(source + ": not a JSON object");
    annotation::Project project;

    // Classes in category id order.
    std::map<std::int64_t, std::string> categories;
    for (const json& c : require(doc, "categories", source)) {
        const std::int64_t id = require(c, "id", source + ": categories").get<std::int64_t>();
        if (!categories.emplace(id, require(c, "name", source + ": categories").get<std::string>()).second)
            throw std::runtime_error(source + ": category id " + std::to_string(id) + " listed twice");
    }
    std::map<std::int64_t, annotation::ClassId> class_of_category;
    for (const auto& [id, name0] : categories) {
        std::string name = name0.empty() ? "category " + std::to_string(id) : name0;
        const std::string base = name;
        for (int n = 2; project.find_class_by_name(name); ++n) name = base + " (" + std::to_string(n) + ")";
        class_of_category[id] = project.add_class(name, palette_colour(class_of_category.size()));
    }
    report.classes = class_of_category.size();

    const fs::path root = options.image_root;
    std::map<std::int64_t, ImageInfo> images;
    const json& image_list = require(doc, "images", source);
    for (std::size_t i = 0; i < image_list.size(); ++i) {
        const json& im = image_list[i];
        const std::string where = source + ": images[" + std::to_string(i) + "]";
        const std::int64_t id = require(im, "id", where).get<std::int64_t>();
        ImageInfo info;
        const std::string file_name = require(im, "file_name", where).get<std::string>();
        // The JSON comes with the dataset: a file_name that leaves the image
        // folder refuses the whole file (a made-up or hostile dataset).
        const DatasetPathCheck checked = check_dataset_relative_path(file_name);
        if (!checked.ok())
            throw UnsafePathError(where + ": file_name '" + file_name + "' " + checked.problem +
                                  "; refused (file_name must name a file inside the image folder)");
        info.relative_path = checked.path;  // '/' separators (Windows-made files use '\\')
        info.width = require(im, "width", where).get<int>();
        info.height = require(im, "height", where).get<int>();
        if (options.verify_image_files) {
            const std::optional<ImageHeaderInfo> header = read_image_header(resolve_image_path(root, info.relative_path));
            if (!header) {
                report.problems.push_back(where + ": " + info.relative_path + ": image missing or unreadable, its annotations were not imported");
                info.usable = false;
            } else if (header->width != info.width || header->height != info.height) {
                report.problems.push_back(where + ": " + info.relative_path + ": the JSON says " + std::to_string(info.width) +
                                          "x" + std::to_string(info.height) + " but the file is " +
                                          std::to_string(header->width) + "x" + std::to_string(header->height) +
                                          " (EXIF-corrected); its annotations were not imported");
                info.usable = false;
            }
        }
        if (!images.emplace(id, info).second) throw std::runtime_error(where + ": image id " + std::to_string(id) + " listed twice");
        if (info.usable) {
            project.ensure_image(info.relative_path, info.width, info.height);
            ++report.images;
        }
    }

    const std::int64_t now = annotation::unix_now_ms();
    const auto anns = doc.find("annotations");
    if (anns != doc.end()) {
        for (std::size_t i = 0; i < anns->size(); ++i) {
            const json& ann = (*anns)[i];
            const std::string where = source + ": annotations[" + std::to_string(i) + "]";
            try {
                const std::int64_t image_id = require(ann, "image_id", where).get<std::int64_t>();
                const auto img = images.find(image_id);
                if (img == images.end()) {
                    report.problems.push_back(where + ": unknown image_id " + std::to_string(image_id));
                    continue;
                }
                if (!img->second.usable) continue;  // already reported with the image
                const std::int64_t cat = require(ann, "category_id", where).get<std::int64_t>();
                const auto cls = class_of_category.find(cat);
                if (cls == class_of_category.end()) {
                    report.problems.push_back(where + ": unknown category_id " + std::to_string(cat));
                    continue;
                }
                annotation::Instance inst;
                inst.class_id = cls->second;
                std::string why;
                if (!read_geometry(ann, img->second, inst, why)) {
                    report.problems.push_back(where + ": " + why);
                    continue;
                }
                inst.id = project.allocate_instance_id();
                inst.created_ms = inst.modified_ms = now;
                if (const auto score = ann.find("score"); score != ann.end() && score->is_number())
                    inst.score = score->get<float>();
                annotation::ImageAnnotations* entry = project.find_image(img->second.relative_path);
                entry->instances.push_back(std::move(inst));
                entry->status = annotation::ImageStatus::Done;
                ++report.instances;
            } catch (const json::exception& e) {
                report.problems.push_back(where + ": " + e.what());
            }
        }
    }
    return project;
}

}  // namespace

annotation::Project import_coco_json(const json& doc, const std::string& source, const CocoImportOptions& options,
                                     ImportReport& report) {
    // A field of the wrong type ("name": 7) makes nlohmann throw type_error from
    // get(): the file's fault, so the file's error (fuzz_coco aborted on it).
    try {
        return import_document(doc, source, options, report);
    } catch (const json::exception& e) {
        throw std::runtime_error(source + ": " + e.what());
    }
}

annotation::Project import_coco_file(const fs::path& json_path, const CocoImportOptions& options, ImportReport& report) {
    const std::string name = path_to_utf8(json_path);
    std::ifstream f(json_path, std::ios::binary);
    if (!f) throw std::runtime_error(name + ": cannot open");
    json doc;
    try {
        doc = json::parse(f);
    } catch (const json::exception& e) {
        throw std::runtime_error(name + ": invalid JSON: " + e.what());
    }
    return import_coco_json(doc, name, options, report);
}

}  // namespace samlabel::io
