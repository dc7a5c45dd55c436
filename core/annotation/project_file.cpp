#include "core/annotation/project_file.h"

#include "core/annotation/rle.h"
#include "core/annotation/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_set>

namespace samlabel::annotation {
namespace fs = std::filesystem;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

ProjectFileError::ProjectFileError(std::string file, std::string json_path, std::string reason)
    : std::runtime_error(file + ": " + (json_path.empty() ? std::string() : json_path + ": ") + reason),
      file_(std::move(file)),
      json_path_(std::move(json_path)),
      reason_(std::move(reason)) {}

namespace {

std::string u8(const fs::path& p) {
    const std::u8string s = p.u8string();
    return std::string(s.begin(), s.end());
}

// ---- enum <-> text ------------------------------------------------------------

const char* status_text(ImageStatus s) {
    switch (s) {
        case ImageStatus::New: return "new";
        case ImageStatus::InProgress: return "in_progress";
        case ImageStatus::Done: return "done";
    }
    return "new";
}

const char* source_text(InstanceSource s) {
    switch (s) {
        case InstanceSource::Manual: return "manual";
        case InstanceSource::GrabCut: return "grabcut";
        case InstanceSource::Sam3: return "sam3";
        case InstanceSource::Sam3Detect: return "sam3-detect";
    }
    return "manual";
}

const char* review_text(ReviewState r) {
    switch (r) {
        case ReviewState::Pending: return "pending";
        case ReviewState::Reviewed: return "reviewed";
        case ReviewState::None: break;
    }
    return "";
}

std::string colour_text(std::uint32_t rgb) {
    static const char* hex = "0123456789abcdef";
    std::string s = "#";
    for (int shift = 20; shift >= 0; shift -= 4) s.push_back(hex[(rgb >> shift) & 0xf]);
    return s;
}

// ---- serialisation ---------------------------------------------------------------

ojson ring_json(const std::vector<Point>& ring) {
    ojson a = ojson::array();
    for (const Point& p : ring) {
        a.push_back(p.x);
        a.push_back(p.y);
    }
    return a;
}

ojson instance_json(const Instance& inst) {
    ojson j;
    j["id"] = inst.id;
    j["class_id"] = inst.class_id;
    j["source"] = source_text(inst.source);
    if (inst.score) j["score"] = static_cast<double>(*inst.score);
    if (inst.review != ReviewState::None) j["review"] = review_text(inst.review);  // version 3
    j["created_ms"] = inst.created_ms;
    j["modified_ms"] = inst.modified_ms;
    if (!inst.polygons.empty()) {
        ojson polys = ojson::array();
        for (const PolygonWithHoles& poly : inst.polygons) {
            ojson pj;
            pj["outer"] = ring_json(poly.outer);
            if (!poly.holes.empty()) {
                ojson holes = ojson::array();
                for (const auto& hole : poly.holes) holes.push_back(ring_json(hole));
                pj["holes"] = std::move(holes);
            }
            polys.push_back(std::move(pj));
        }
        j["polygons"] = std::move(polys);
    }
    if (inst.mask) {
        ojson m;
        m["size"] = {inst.mask->height, inst.mask->width};
        m["counts"] = rle_to_coco_string(*inst.mask);
        j["mask"] = std::move(m);
    }
    return j;
}

// ---- validation helpers -------------------------------------------------------------

class Validator {
public:
    explicit Validator(const std::string& file) : file_(file) {}

    [[noreturn]] void fail(const std::string& path, const std::string& reason) const {
        throw ProjectFileError(file_, path, reason);
    }

    const json& member(const json& obj, const std::string& path, const char* key) const {
        const auto it = obj.find(key);
        if (it == obj.end()) fail(path, std::string("missing required field \"") + key + "\"");
        return *it;
    }
    static std::string join(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }
    static std::string index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

    const json& object(const json& v, const std::string& path) const {
        if (!v.is_object()) fail(path, "expected an object, found " + type_name(v));
        return v;
    }
    const json& array(const json& v, const std::string& path) const {
        if (!v.is_array()) fail(path, "expected an array, found " + type_name(v));
        return v;
    }
    std::string string(const json& v, const std::string& path) const {
        if (!v.is_string()) fail(path, "expected a string, found " + type_name(v));
        return v.get<std::string>();
    }
    std::int64_t integer(const json& v, const std::string& path, std::int64_t lo, std::int64_t hi) const {
        if (!v.is_number_integer()) fail(path, "expected an integer, found " + type_name(v));
        if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX)) fail(path, "integer out of range");
        const std::int64_t x = v.get<std::int64_t>();
        if (x < lo || x > hi)
            fail(path, std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return x;
    }
    double number(const json& v, const std::string& path) const {
        if (!v.is_number()) fail(path, "expected a number, found " + type_name(v));
        const double x = v.get<double>();
        if (!std::isfinite(x)) fail(path, "not a finite number");
        return x;
    }
    static std::string type_name(const json& v) {
        if (v.is_number()) return "a number";
        if (v.is_string()) return "a string";
        if (v.is_boolean()) return "a boolean";
        if (v.is_null()) return "null";
        if (v.is_array()) return "an array";
        return "an object";
    }

    std::vector<Point> ring(const json& v, const std::string& path) const {
        array(v, path);
        if (v.size() % 2 != 0) fail(path, "odd number of coordinates (" + std::to_string(v.size()) + "); expected x,y pairs");
        if (v.size() < 6) fail(path, "a ring needs at least 3 points, found " + std::to_string(v.size() / 2));
        std::vector<Point> out(v.size() / 2);
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i].x = number(v[2 * i], index(path, 2 * i));
            out[i].y = number(v[2 * i + 1], index(path, 2 * i + 1));
        }
        return out;
    }

private:
    const std::string& file_;
};

bool safe_relative_path(const std::string& p, std::string& why) {
    if (p.empty()) return why = "is empty", false;
    if (p.find('\\') != std::string::npos) return why = "'" + p + "' contains '\\' (use '/' separators)", false;
    if (p.front() == '/' || (p.size() > 1 && p[1] == ':')) return why = "'" + p + "' is absolute; expected a path relative to the image folder", false;
    std::size_t start = 0;
    while (start <= p.size()) {
        const std::size_t slash = p.find('/', start);
        const std::string part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.empty() || part == "." || part == "..")
            return why = "'" + p + "' has an empty, '.' or '..' component", false;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return true;
}

std::string read_whole_file(const fs::path& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open the file";
        return {};
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        error = "read error";
        return {};
    }
    return ss.str();
}

}  // namespace

std::string serialize(const Project& project) {
    // Written by hand at the top level so that each class and each instance is
    // one line: readable, diff-friendly, and far smaller than full indentation
    // of long coordinate arrays. Every value itself is emitted by nlohmann
    // (doubles in shortest round-trip form, strings escaped).
    std::string out;
    out += "{\n";
    out += " \"format\": " + json(std::string(kProjectFormatName)).dump() + ",\n";
    out += " \"version\": " + std::to_string(kProjectFormatVersion) + ",\n";
    out += " \"image_root\": " + json(project.image_root).dump() + ",\n";
    out += " \"next_class_id\": " + std::to_string(project.next_class_id()) + ",\n";
    out += " \"next_instance_id\": " + std::to_string(project.next_instance_id()) + ",\n";
    out += " \"classes\": [";
    for (std::size_t i = 0; i < project.classes().size(); ++i) {
        const LabelClass& c = project.classes()[i];
        ojson j;
        j["id"] = c.id;
        j["name"] = c.name;
        j["color"] = colour_text(c.rgb);
        if (!c.prompt.empty()) j["prompt"] = c.prompt;  // version 3
        if (c.threshold) j["threshold"] = static_cast<double>(*c.threshold);
        out += (i ? ",\n  " : "\n  ") + j.dump();
    }
    out += project.classes().empty() ? "],\n" : "\n ],\n";
    out += " \"images\": [";
    bool first_image = true;
    for (const auto& [path, image] : project.images()) {
        out += first_image ? "\n" : ",\n";
        first_image = false;
        out += "  {\"path\": " + json(path).dump() + ", \"width\": " + std::to_string(image.width) +
               ", \"height\": " + std::to_string(image.height) + ", \"status\": \"" + status_text(image.status) + "\", ";
        if (image.placement) {
            ojson d;
            d["split"] = image.placement->split;
            d["path"] = image.placement->path;
            out += "\"dataset\": " + d.dump() + ", ";
        }
        if (image.autolabel) {  // version 3
            ojson a;
            a["recipe"] = image.autolabel->recipe;
            a["at_ms"] = image.autolabel->at_ms;
            out += "\"autolabel\": " + a.dump() + ", ";
        }
        out += "\"instances\": [";
        for (std::size_t i = 0; i < image.instances.size(); ++i)
            out += (i ? ",\n   " : "\n   ") + instance_json(image.instances[i]).dump();
        out += image.instances.empty() ? "]}" : "\n  ]}";
    }
    out += project.images().empty() ? "]\n" : "\n ]\n";
    out += "}\n";
    return out;
}

Project parse(std::string_view text, const std::string& file) {
    const Validator v(file);
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number that overflows (1e3331)
        // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        std::string what = e.what();
        if (const auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
        v.fail("", "not valid JSON: " + what);
    }
    v.object(doc, "(document)");

    // Format and version first: a newer file must be refused with a clear
    // message before any field of it is interpreted.
    const json& format = v.member(doc, "", "format");
    const std::string format_name = v.string(format, "format");
    if (format_name != kProjectFormatName)
        v.fail("format", "'" + format_name + "' is not a samlabel project (expected '" + std::string(kProjectFormatName) + "')");
    const json& version_json = v.member(doc, "", "version");
    if (!version_json.is_number_integer()) v.fail("version", "expected an integer, found " + Validator::type_name(version_json));
    const std::int64_t version = version_json.get<std::int64_t>();
    if (version > kProjectFormatVersion)
        v.fail("version", "format version " + std::to_string(version) + " was written by a newer samlabel; this samlabel reads versions up to " +
                              std::to_string(kProjectFormatVersion) + ". Update samlabel to open it.");
    if (version < 1) v.fail("version", std::to_string(version) + " is not a valid format version (the first is 1)");

    Project project;
    if (const auto it = doc.find("image_root"); it != doc.end()) project.image_root = v.string(*it, "image_root");

    // ---- classes
    const json& classes = v.array(v.member(doc, "", "classes"), "classes");
    std::set<ClassId> class_ids;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        const std::string path = Validator::index("classes", i);
        const json& cj = v.object(classes[i], path);
        LabelClass c;
        c.id = static_cast<ClassId>(v.integer(v.member(cj, path, "id"), Validator::join(path, "id"), 0, INT32_MAX - 1));
        c.name = v.string(v.member(cj, path, "name"), Validator::join(path, "name"));
        const std::string colour = v.string(v.member(cj, path, "color"), Validator::join(path, "color"));
        const bool hex_ok = colour.size() == 7 && colour[0] == '#' &&
                            std::all_of(colour.begin() + 1, colour.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); });
        if (!hex_ok) v.fail(Validator::join(path, "color"), "'" + colour + "' is not a colour of the form #rrggbb");
        c.rgb = static_cast<std::uint32_t>(std::stoul(colour.substr(1), nullptr, 16));
        if (c.name.empty()) v.fail(Validator::join(path, "name"), "the class name is empty");
        if (const auto it = cj.find("prompt"); it != cj.end()) c.prompt = v.string(*it, Validator::join(path, "prompt"));  // version 3
        if (const auto it = cj.find("threshold"); it != cj.end()) {
            const double t = v.number(*it, Validator::join(path, "threshold"));
            if (t < 0.0 || t > 1.0) v.fail(Validator::join(path, "threshold"), std::to_string(t) + " is outside [0, 1]");
            c.threshold = static_cast<float>(t);
        }
        if (class_ids.count(c.id)) v.fail(Validator::join(path, "id"), "class id " + std::to_string(c.id) + " is used twice");
        if (project.find_class_by_name(c.name)) v.fail(Validator::join(path, "name"), "class name '" + c.name + "' is used twice");
        class_ids.insert(c.id);
        project.insert_class(project.classes().size(), std::move(c));
    }
    const ClassId max_class_id = class_ids.empty() ? -1 : *class_ids.rbegin();
    const std::int64_t next_class_id = v.integer(v.member(doc, "", "next_class_id"), "next_class_id", 0, INT32_MAX);
    if (next_class_id <= max_class_id)
        v.fail("next_class_id", std::to_string(next_class_id) + " is not above the largest class id " + std::to_string(max_class_id) +
                                    " (ids must never be reused)");
    project.set_next_class_id(static_cast<ClassId>(next_class_id));

    const std::int64_t next_instance_id = v.integer(v.member(doc, "", "next_instance_id"), "next_instance_id", 1, INT64_MAX);

    // ---- images
    const json& images = v.array(v.member(doc, "", "images"), "images");
    std::unordered_set<std::uint64_t> instance_ids;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const std::string ipath = Validator::index("images", i);
        const json& ij = v.object(images[i], ipath);
        const std::string rel = v.string(v.member(ij, ipath, "path"), Validator::join(ipath, "path"));
        std::string why;
        if (!safe_relative_path(rel, why)) v.fail(Validator::join(ipath, "path"), why);
        if (project.find_image(rel)) v.fail(Validator::join(ipath, "path"), "'" + rel + "' is listed twice");
        ImageAnnotations image;
        image.relative_path = rel;
        image.width = static_cast<int>(v.integer(v.member(ij, ipath, "width"), Validator::join(ipath, "width"), 0, 1 << 20));
        image.height = static_cast<int>(v.integer(v.member(ij, ipath, "height"), Validator::join(ipath, "height"), 0, 1 << 20));
        const std::string status = v.string(v.member(ij, ipath, "status"), Validator::join(ipath, "status"));
        if (status == "new") image.status = ImageStatus::New;
        else if (status == "in_progress") image.status = ImageStatus::InProgress;
        else if (status == "done") image.status = ImageStatus::Done;
        else v.fail(Validator::join(ipath, "status"), "'" + status + "' is not one of new, in_progress, done");
        if (const auto it = ij.find("dataset"); it != ij.end()) {  // version 2
            const std::string dpath = Validator::join(ipath, "dataset");
            const json& dj = v.object(*it, dpath);
            DatasetPlacement placement;
            placement.split = v.string(v.member(dj, dpath, "split"), Validator::join(dpath, "split"));
            if (placement.split != "train" && placement.split != "val" && placement.split != "test")
                v.fail(Validator::join(dpath, "split"), "'" + placement.split + "' is not one of train, val, test");
            placement.path = v.string(v.member(dj, dpath, "path"), Validator::join(dpath, "path"));
            if (!safe_relative_path(placement.path, why)) v.fail(Validator::join(dpath, "path"), why);
            image.placement = std::move(placement);
        }
        if (const auto it = ij.find("autolabel"); it != ij.end()) {  // version 3
            const std::string apath = Validator::join(ipath, "autolabel");
            const json& aj = v.object(*it, apath);
            AutolabelStamp stamp;
            stamp.recipe = v.string(v.member(aj, apath, "recipe"), Validator::join(apath, "recipe"));
            if (stamp.recipe.empty()) v.fail(Validator::join(apath, "recipe"), "the recipe id is empty");
            stamp.at_ms = v.integer(v.member(aj, apath, "at_ms"), Validator::join(apath, "at_ms"), 0, INT64_MAX);
            image.autolabel = std::move(stamp);
        }

        const std::string instances_path = Validator::join(ipath, "instances");
        const json& instances = v.array(v.member(ij, ipath, "instances"), instances_path);
        for (std::size_t k = 0; k < instances.size(); ++k) {
            const std::string p = Validator::index(instances_path, k);
            const json& nj = v.object(instances[k], p);
            Instance inst;
            inst.id = static_cast<std::uint64_t>(v.integer(v.member(nj, p, "id"), Validator::join(p, "id"), 1, INT64_MAX));
            if (!instance_ids.insert(inst.id).second)
                v.fail(Validator::join(p, "id"), "instance id " + std::to_string(inst.id) + " is used twice");
            if (inst.id >= static_cast<std::uint64_t>(next_instance_id))
                v.fail(Validator::join(p, "id"), "instance id " + std::to_string(inst.id) + " is not below next_instance_id " +
                                                     std::to_string(next_instance_id));
            const std::int64_t cls = v.integer(v.member(nj, p, "class_id"), Validator::join(p, "class_id"), kNoClass, INT32_MAX);
            if (cls != kNoClass && !class_ids.count(static_cast<ClassId>(cls)))
                v.fail(Validator::join(p, "class_id"), std::to_string(cls) + " is not a known class");
            inst.class_id = static_cast<ClassId>(cls);
            const std::string source = v.string(v.member(nj, p, "source"), Validator::join(p, "source"));
            if (source == "manual") inst.source = InstanceSource::Manual;
            else if (source == "grabcut") inst.source = InstanceSource::GrabCut;
            else if (source == "sam3") inst.source = InstanceSource::Sam3;
            else if (source == "sam3-detect") inst.source = InstanceSource::Sam3Detect;  // version 3
            else v.fail(Validator::join(p, "source"), "'" + source + "' is not one of manual, grabcut, sam3, sam3-detect");
            if (const auto it = nj.find("review"); it != nj.end()) {  // version 3
                const std::string review = v.string(*it, Validator::join(p, "review"));
                if (review == "pending") inst.review = ReviewState::Pending;
                else if (review == "reviewed") inst.review = ReviewState::Reviewed;
                else v.fail(Validator::join(p, "review"), "'" + review + "' is not one of pending, reviewed");
            }
            if (const auto it = nj.find("score"); it != nj.end()) {
                const double score = v.number(*it, Validator::join(p, "score"));
                if (score < 0.0 || score > 1.0) v.fail(Validator::join(p, "score"), std::to_string(score) + " is outside [0, 1]");
                inst.score = static_cast<float>(score);
            }
            inst.created_ms = v.integer(v.member(nj, p, "created_ms"), Validator::join(p, "created_ms"), 0, INT64_MAX);
            inst.modified_ms = v.integer(v.member(nj, p, "modified_ms"), Validator::join(p, "modified_ms"), 0, INT64_MAX);

            if (const auto it = nj.find("polygons"); it != nj.end()) {
                const std::string pp = Validator::join(p, "polygons");
                const json& polys = v.array(*it, pp);
                for (std::size_t q = 0; q < polys.size(); ++q) {
                    const std::string qp = Validator::index(pp, q);
                    const json& pj = v.object(polys[q], qp);
                    PolygonWithHoles poly;
                    poly.outer = v.ring(v.member(pj, qp, "outer"), Validator::join(qp, "outer"));
                    if (const auto hit = pj.find("holes"); hit != pj.end()) {
                        const std::string hp = Validator::join(qp, "holes");
                        const json& holes = v.array(*hit, hp);
                        for (std::size_t h = 0; h < holes.size(); ++h) poly.holes.push_back(v.ring(holes[h], Validator::index(hp, h)));
                    }
                    inst.polygons.push_back(std::move(poly));
                }
            }
            if (const auto it = nj.find("mask"); it != nj.end()) {
                const std::string mp = Validator::join(p, "mask");
                const json& mj = v.object(*it, mp);
                const std::string sp = Validator::join(mp, "size");
                const json& size = v.array(v.member(mj, mp, "size"), sp);
                if (size.size() != 2) v.fail(sp, "expected [height, width]");
                const int h = static_cast<int>(v.integer(size[0], Validator::index(sp, 0), 1, 1 << 20));
                const int w = static_cast<int>(v.integer(size[1], Validator::index(sp, 1), 1, 1 << 20));
                if (image.width > 0 && image.height > 0 && (w != image.width || h != image.height))
                    v.fail(sp, "mask size " + std::to_string(w) + "x" + std::to_string(h) + " differs from the image size " +
                                   std::to_string(image.width) + "x" + std::to_string(image.height));
                const std::string cp = Validator::join(mp, "counts");
                const json& counts = v.member(mj, mp, "counts");
                RleMask rle;
                if (counts.is_string()) {
                    try {
                        rle = rle_from_coco_string(counts.get<std::string>(), w, h);
                    } catch (const RleError& e) {
                        v.fail(cp, e.what());
                    }
                } else {
                    v.array(counts, cp);
                    rle.width = w;
                    rle.height = h;
                    rle.counts.reserve(counts.size());
                    for (std::size_t c = 0; c < counts.size(); ++c)
                        rle.counts.push_back(static_cast<std::uint32_t>(v.integer(counts[c], Validator::index(cp, c), 0, UINT32_MAX)));
                    if (const std::string why2 = rle_validation_error(rle); !why2.empty()) v.fail(cp, why2);
                }
                inst.mask = std::move(rle);
            }
            if (inst.polygons.empty() && !inst.mask) v.fail(p, "the instance has neither polygons nor a mask");
            image.instances.push_back(std::move(inst));
        }
        ImageAnnotations& stored = project.ensure_image(rel);
        stored = std::move(image);
    }
    project.set_next_instance_id(static_cast<std::uint64_t>(next_instance_id));
    return project;
}

fs::path default_project_path(const fs::path& image_folder) { return image_folder / fs::path(std::u8string(u8"samlabel-project.json")); }

fs::path backup_path(const fs::path& project_path) {
    fs::path p = project_path;
    p += ".bak";
    return p;
}

fs::path autosave_path(const fs::path& project_path) {
    fs::path p = project_path.parent_path() / project_path.stem();
    p += ".autosave.json";
    return p;
}

fs::path corrupt_backup_path(const fs::path& project_path) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
#ifdef _WIN32
    localtime_s(&local, &now);
#else
    localtime_r(&now, &local);
#endif
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &local);
    const fs::path base = project_path.parent_path() / project_path.stem();
    for (int n = 1;; ++n) {
        fs::path p = base;
        p += ".corrupt-" + std::string(stamp) + (n > 1 ? "-" + std::to_string(n) : std::string()) + ".json";
        std::error_code ec;
        if (!fs::exists(p, ec)) return p;
    }
}

ProjectLoadResult load_project_file(const fs::path& path) {
    ProjectLoadResult result;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        result.origin = ProjectLoadResult::Origin::NewProject;
        return result;
    }
    const std::string name = u8(path);
    std::string read_error;
    const std::string text = read_whole_file(path, read_error);
    if (read_error.empty()) {
        try {
            result.project = parse(text, name);
            result.origin = ProjectLoadResult::Origin::Loaded;
            return result;
        } catch (const ProjectFileError& e) {
            result.problem = e.what();
        } catch (const std::exception& e) {  // e.g. ProjectError from a model invariant
            result.problem = name + ": " + e.what();
        }
    } else {
        result.problem = name + ": " + read_error;
    }

    // The file failed. Keep it (the user may want to repair it by hand) under a
    // name no later save will overwrite, then fall back to the newest valid copy.
    const fs::path aside = corrupt_backup_path(path);
    fs::rename(path, aside, ec);
    if (ec) {
        result.problem += " (could not move it aside to " + u8(aside) + ": " + ec.message() + ")";
    } else {
        result.moved_aside_to = aside;
    }

    std::vector<std::pair<fs::file_time_type, fs::path>> candidates;
    for (const fs::path& c : {backup_path(path), autosave_path(path)}) {
        std::error_code cec;
        if (!fs::is_regular_file(c, cec)) continue;
        const auto t = fs::last_write_time(c, cec);
        if (!cec) candidates.emplace_back(t, c);
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [time, candidate] : candidates) {
        std::string err;
        const std::string ctext = read_whole_file(candidate, err);
        if (!err.empty()) continue;
        try {
            result.project = parse(ctext, u8(candidate));
            result.origin = ProjectLoadResult::Origin::RecoveredFromBackup;
            result.recovered_from = candidate;
            return result;
        } catch (const std::exception&) {
            continue;  // try the next older copy
        }
    }
    result.project = Project{};
    result.origin = ProjectLoadResult::Origin::EmptyAfterFailure;
    return result;
}

void save_project_file(const fs::path& path, const Project& project) {
    AtomicWriteOptions options;
    options.keep_previous_as = backup_path(path);
    write_file_atomically(path, serialize(project), options);
}

}  // namespace samlabel::annotation
