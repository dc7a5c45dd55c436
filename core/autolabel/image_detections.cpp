#include "core/autolabel/image_detections.h"

#include "core/annotation/rle.h"

#include <nlohmann/json.hpp>

#include <opencv2/core.hpp>

#include <cmath>
#include <stdexcept>

namespace samlabel::autolabel {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& field, const std::string& problem) {
    throw std::invalid_argument(where + ": " + field + ": " + problem);
}

const json& member(const json& j, const char* key, const std::string& where, const std::string& path) {
    const auto it = j.find(key);
    if (it == j.end()) bad(where, path, std::string("missing \"") + key + "\"");
    return *it;
}

int integer_at(const json& j, const char* key, const std::string& where, const std::string& path, int lo, int hi) {
    const json& v = member(j, key, where, path);
    if (!v.is_number_integer()) bad(where, path + "." + key, "expected an integer");
    const long long x = v.get<long long>();
    if (x < lo || x > hi) bad(where, path + "." + key, std::to_string(x) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int>(x);
}

}  // namespace

ImageDetections image_detections_from(const std::string& image, int width, int height, const Recipe& recipe,
                                      const std::vector<engine::DetectResult>& results) {
    if (results.size() != recipe.classes.size())
        throw std::invalid_argument(image + ": " + std::to_string(results.size()) + " detection results for " +
                                    std::to_string(recipe.classes.size()) + " classes");
    ImageDetections out;
    out.image = image;
    out.width = width;
    out.height = height;
    for (std::size_t c = 0; c < results.size(); ++c) {
        const ClassPrompt& cls = recipe.classes[c];
        for (const engine::Detection& d : results[c].detections) {
            if (!(d.score > cls.threshold)) continue;
            if (d.width != width || d.height != height)
                throw std::invalid_argument(image + ": a mask of " + std::to_string(d.width) + "x" + std::to_string(d.height) +
                                            " for an image of " + std::to_string(width) + "x" + std::to_string(height));
            const cv::Mat mask(height, width, CV_8UC1, const_cast<std::uint8_t*>(d.mask.data()));
            if (cv::countNonZero(mask) == 0) continue;  // nothing to label
            Detection det;
            det.class_name = cls.class_name;
            det.query = d.query;
            det.score = d.score;
            det.box = {d.box.x0, d.box.y0, d.box.x1, d.box.y1};
            det.mask = annotation::encode_rle(mask);
            out.detections.push_back(std::move(det));
        }
    }
    return out;
}

json image_detections_to_json(const ImageDetections& d) {
    json dets = json::array();
    for (const Detection& det : d.detections)
        dets.push_back({{"class", det.class_name},
                        {"query", det.query},
                        {"score", det.score},
                        {"box", {det.box[0], det.box[1], det.box[2], det.box[3]}},
                        {"mask", {{"size", {det.mask.height, det.mask.width}}, {"counts", annotation::rle_to_coco_string(det.mask)}}}});
    return {{"image", d.image}, {"width", d.width}, {"height", d.height}, {"detections", std::move(dets)}};
}

ImageDetections image_detections_from_json(const json& j, const std::string& where) {
    if (!j.is_object()) bad(where, "(line)", "expected an object");
    ImageDetections d;
    const json& image = member(j, "image", where, "(line)");
    if (!image.is_string() || image.get<std::string>().empty()) bad(where, "image", "expected a non-empty path");
    d.image = image.get<std::string>();
    d.width = integer_at(j, "width", where, d.image, 1, 1 << 20);
    d.height = integer_at(j, "height", where, d.image, 1, 1 << 20);
    const json& dets = member(j, "detections", where, d.image);
    if (!dets.is_array()) bad(where, d.image + ".detections", "expected an array");
    for (std::size_t i = 0; i < dets.size(); ++i) {
        const std::string path = d.image + ".detections[" + std::to_string(i) + "]";
        const json& dj = dets[i];
        if (!dj.is_object()) bad(where, path, "expected an object");
        Detection det;
        const json& cls = member(dj, "class", where, path);
        if (!cls.is_string()) bad(where, path + ".class", "expected a string");
        det.class_name = cls.get<std::string>();
        det.query = integer_at(dj, "query", where, path, 0, 1 << 20);
        const json& score = member(dj, "score", where, path);
        if (!score.is_number() || !(score.get<double>() >= 0.0 && score.get<double>() <= 1.0)) bad(where, path + ".score", "expected a number in [0, 1]");
        det.score = score.get<float>();
        const json& box = member(dj, "box", where, path);
        if (!box.is_array() || box.size() != 4) bad(where, path + ".box", "expected [x0, y0, x1, y1]");
        for (int k = 0; k < 4; ++k) {
            if (!box[std::size_t(k)].is_number()) bad(where, path + ".box", "expected numbers");
            det.box[std::size_t(k)] = box[std::size_t(k)].get<float>();
        }
        const json& mask = member(dj, "mask", where, path);
        const json& size = member(mask, "size", where, path + ".mask");
        if (!size.is_array() || size.size() != 2 || size[0] != d.height || size[1] != d.width)
            bad(where, path + ".mask.size", "expected [" + std::to_string(d.height) + ", " + std::to_string(d.width) + "] (the image size)");
        const json& counts = member(mask, "counts", where, path + ".mask");
        if (!counts.is_string()) bad(where, path + ".mask.counts", "expected a COCO RLE string");
        try {
            det.mask = annotation::rle_from_coco_string(counts.get<std::string>(), d.width, d.height);
        } catch (const annotation::RleError& e) {
            bad(where, path + ".mask.counts", e.what());
        }
        d.detections.push_back(std::move(det));
    }
    return d;
}

}  // namespace samlabel::autolabel
