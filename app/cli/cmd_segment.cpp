// samlabel-cli segment DIR IMAGE --point x,y[:label] ... [--box x0,y0,x1,y1]
//                      [--single] [--dtype auto|fp32|bf16|fp16] [--device auto|cpu|cuda[:N]]
//                      --out mask.png [--json]
// Click-to-segment from the command line: loads SAM3's click path, encodes the
// image, runs the prompt, writes the best candidate (highest predicted IoU) as
// a 0/255 PNG and prints every candidate's score and the chosen mask's polygons.
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "core/annotation/mask_geometry.h"
#include "core/engine/checkpoint.h"
#include "core/engine/sam3_predictor.h"
#include "core/io/image_reader.h"
#include "core/service/image_source.h"
#include "core/io/image_writer.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace samlabel::cli {
namespace {

const char* kUsage =
    "usage: samlabel-cli segment DIR IMAGE --point x,y[:label] ... [--box x0,y0,x1,y1] [--single]\n"
    "                            [--dtype auto|fp32|bf16|fp16] [--device auto|cpu|cuda[:N]] --out mask.png [--json]\n"
    "  DIR    a SAM3 checkpoint folder (facebook/sam3 layout)\n"
    "  IMAGE  any image samlabel reads (EXIF orientation applied)\n"
    "  --point x,y[:label]  image pixels; label 1/pos (default) or 0/neg; repeatable\n"
    "  --box x0,y0,x1,y1    a box prompt in image pixels\n"
    "  --single             one mask (stability fallback) instead of the multimask candidates\n"
    "  --out mask.png       the best candidate as a 0/255 PNG of the image's size\n"
    "  --json               print the result as JSON\n";

engine::PointPrompt parse_point(const std::string& text) {
    std::string coords = text, label = "1";
    if (const auto colon = text.find(':'); colon != std::string::npos) {
        coords = text.substr(0, colon);
        label = text.substr(colon + 1);
    }
    const auto xy = parse_numbers(coords, 2, "--point");
    engine::PointLabel l;
    if (label == "1" || label == "pos" || label == "positive") l = engine::PointLabel::Positive;
    else if (label == "0" || label == "neg" || label == "negative") l = engine::PointLabel::Negative;
    else throw std::invalid_argument("--point '" + text + "': label must be 1/pos or 0/neg");
    return {xy[0], xy[1], l};
}

}  // namespace

int cmd_segment(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << kUsage;
        return args.empty() ? kExitUsage : kExitOk;
    }
    std::vector<std::string> positional;
    engine::ClickPrompt prompt;
    engine::PredictorOptions options;
    std::string out_path;
    bool as_json = false;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            auto next = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
                return args[++i];
            };
            if (a == "--point") prompt.points.push_back(parse_point(next()));
            else if (a == "--box") {
                const auto b = parse_numbers(next(), 4, "--box");
                prompt.box = engine::BoxPrompt{b[0], b[1], b[2], b[3]};
            } else if (a == "--single") prompt.multimask = false;
            else if (a == "--dtype") options.dtype = require_dtype(next());
            else if (a == "--device") options.device = require_device(next());
            else if (a == "--out") out_path = next();
            else if (a == "--json") as_json = true;
            else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
            else positional.push_back(a);
        }
        if (positional.size() != 2) throw std::invalid_argument("expected DIR and IMAGE");
        if (prompt.points.empty() && !prompt.box) throw std::invalid_argument("give at least one --point or a --box");
        if (out_path.empty()) throw std::invalid_argument("--out mask.png is required");
    } catch (const std::invalid_argument& e) {
        std::cerr << "samlabel-cli segment: " << e.what() << "\n" << kUsage;
        return kExitUsage;
    }

    const io::ImageReadResult read = io::read_image(io::path_from_utf8(positional[1]));
    if (!read.ok()) {
        std::cerr << "samlabel-cli segment: " << read.error << "\n";
        return kExitFailure;
    }
    const engine::ImageRgb8 image = service::model_rgb_from_bgr(read.bgr8);

    const auto t0 = std::chrono::steady_clock::now();
    const auto checkpoint = engine::Checkpoint::open(io::path_from_utf8(positional[0]));
    const auto predictor = engine::Sam3Predictor::load(*checkpoint, options);
    const auto t1 = std::chrono::steady_clock::now();
    const auto embedding = predictor->encode(image);
    const auto t2 = std::chrono::steady_clock::now();
    const engine::SegmentResult result = predictor->segment(*embedding, prompt);
    if (result.candidates.empty()) throw std::runtime_error("the model returned no mask");

    std::size_t best = 0;
    for (std::size_t k = 1; k < result.candidates.size(); ++k)
        if (result.candidates[k].predicted_iou > result.candidates[best].predicted_iou) best = k;
    const engine::MaskCandidate& chosen = result.candidates[best];
    cv::Mat mask(chosen.height, chosen.width, CV_8UC1, const_cast<std::uint8_t*>(chosen.mask.data()));
    const cv::Mat mask255 = mask * 255;
    io::write_png_file(io::path_from_utf8(out_path), mask255);
    const annotation::PolygonizeResult polygons = annotation::mask_to_polygons(mask);

    const double load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double encode_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    if (as_json) {
        nlohmann::json j;
        j["device"] = predictor->device_name();
        j["dtype"] = predictor->dtype_name();
        j["load_ms"] = load_ms;
        j["encode_ms"] = encode_ms;
        j["decode_ms"] = result.decode_ms;
        j["object_score_logit"] = result.object_score_logit;
        j["chosen"] = best;
        for (const auto& c : result.candidates) {
            std::size_t area = 0;
            for (auto v : c.mask) area += v;
            j["candidates"].push_back({{"predicted_iou", c.predicted_iou}, {"area_px", area}});
        }
        j["polygons"] = nlohmann::json::array();
        for (const auto& p : polygons.polygons) {
            nlohmann::json poly{{"outer", nlohmann::json::array()}, {"holes", nlohmann::json::array()}};
            for (const auto& pt : p.outer) poly["outer"].push_back({pt.x, pt.y});
            for (const auto& hole : p.holes) {
                nlohmann::json h = nlohmann::json::array();
                for (const auto& pt : hole) h.push_back({pt.x, pt.y});
                poly["holes"].push_back(h);
            }
            j["polygons"].push_back(poly);
        }
        j["mask"] = out_path;
        std::cout << j.dump(1) << "\n";
        return kExitOk;
    }
    std::printf("model %s %s: load %.0f ms, encode %.0f ms, decode %.1f ms, object score logit %.3f\n",
                predictor->device_name().c_str(), predictor->dtype_name().c_str(), load_ms, encode_ms, result.decode_ms,
                result.object_score_logit);
    for (std::size_t k = 0; k < result.candidates.size(); ++k) {
        std::size_t area = 0;
        for (auto v : result.candidates[k].mask) area += v;
        std::printf("  candidate %zu: predicted IoU %.4f, area %zu px%s\n", k, result.candidates[k].predicted_iou, area,
                    k == best ? "  <- written" : "");
    }
    std::printf("  %zu polygon(s)%s\n", polygons.polygons.size(),
                polygons.dropped_parts ? (" (" + std::to_string(polygons.dropped_parts) + " tiny part(s) dropped)").c_str() : "");
    for (const auto& p : polygons.polygons) {
        std::printf("   outer %zu points, %zu hole(s):", p.outer.size(), p.holes.size());
        for (const auto& pt : p.outer) std::printf(" %.1f,%.1f", pt.x, pt.y);
        std::printf("\n");
    }
    std::printf("  mask written to %s\n", out_path.c_str());
    return kExitOk;
}

}  // namespace samlabel::cli
