// samlabel-cli segment DIR IMAGE --point x,y[:label] ... [--box x0,y0,x1,y1]
//                      [--single] [--dtype auto|fp32|bf16|fp16] [--device auto|cpu|cuda[:N]]
//                      [--ram-budget GiB] [--vram-budget GiB] --out mask.png [--json]
// Click-to-segment from the command line: loads SAM3's click path through the
// model session (the memory preflight decides first: exit 3 when refused),
// encodes the image, runs the prompt, writes the best candidate (highest
// predicted IoU) as a 0/255 PNG and prints every candidate's score and the
// chosen mask's polygons.
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "app/cli/model_options.h"
#include "core/annotation/mask_geometry.h"
#include "core/engine/model_session.h"
#include "core/io/image_writer.h"
#include "core/io/utf8_path.h"
#include "core/service/image_source.h"

#include <QString>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

namespace samlabel::cli {
namespace {

const char* kUsage =
    "usage: samlabel-cli segment DIR IMAGE --point x,y[:label] ... [--box x0,y0,x1,y1] [--single]\n"
    "                            [--dtype auto|fp32|bf16|fp16] [--device auto|cpu|cuda[:N]]\n"
    "                            [--ram-budget GiB] [--vram-budget GiB] --out mask.png [--json]\n"
    "  DIR    a SAM3 checkpoint folder (facebook/sam3 layout)\n"
    "  IMAGE  any image samlabel reads (EXIF orientation applied)\n"
    "  --point x,y[:label]  image pixels; label 1/pos (default) or 0/neg; repeatable\n"
    "  --box x0,y0,x1,y1    a box prompt in image pixels\n"
    "  --single             one mask (stability fallback) instead of the multimask candidates\n"
    "  --out mask.png       the best candidate as a 0/255 PNG of the image's size\n"
    "  --json               print the result as JSON\n";
const char* kExitCodes = "exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused by the memory preflight\n";

std::ostream& usage(std::ostream& out) { return out << kUsage << kModelOptionsUsageNoParts << kExitCodes; }

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
        usage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? kExitUsage : kExitOk;
    }
    std::vector<std::string> positional;
    engine::ClickPrompt prompt;
    ModelOptions model;
    model.request.parts = engine::PartSet::ClickToSegment;
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
            else if (take_model_option(a, next, model, PartsOption::Fixed)) continue;
            else if (a == "--out") out_path = next();
            else if (a == "--json") as_json = true;
            else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
            else positional.push_back(a);
        }
        if (positional.size() != 2) throw std::invalid_argument("expected DIR and IMAGE");
        if (prompt.points.empty() && !prompt.box) throw std::invalid_argument("give at least one --point or a --box");
        if (out_path.empty()) throw std::invalid_argument("--out mask.png is required");
    } catch (const std::invalid_argument& e) {
        usage(std::cerr << "samlabel-cli segment: " << e.what() << "\n");
        return kExitUsage;
    }

    model.request.checkpoint_dir = io::path_from_utf8(positional[0]);

    QString read_error;
    const std::optional<service::ModelImage> image = service::read_model_image(QString::fromUtf8(positional[1]), &read_error);
    if (!image) {
        std::cerr << "samlabel-cli segment: " << read_error.toStdString() << "\n";
        return kExitFailure;
    }

    engine::ModelSession session;
    use_converted_weights_cache(session);
    const engine::LoadOutcome loaded = session.load(model.request, {}, model.budget);
    if (const int refused_or_failed = report_load_outcome("segment", loaded)) return refused_or_failed;
    const engine::EncodeOutcome encoded = session.encode(image->image, image->content_key);
    if (!encoded.ok()) {
        std::cerr << "samlabel-cli segment: encoding " << positional[1] << ": " << encoded.message << "\n";
        return encoded.status == engine::EncodeStatus::Refused ? kExitRefused : kExitFailure;
    }
    const engine::SegmentResult result = session.segment(image->content_key, prompt);
    if (result.candidates.empty()) throw std::runtime_error("the model returned no mask");

    std::size_t best = 0;
    for (std::size_t k = 1; k < result.candidates.size(); ++k)
        if (result.candidates[k].predicted_iou > result.candidates[best].predicted_iou) best = k;
    const engine::MaskCandidate& chosen = result.candidates[best];
    cv::Mat mask(chosen.height, chosen.width, CV_8UC1, const_cast<std::uint8_t*>(chosen.mask.data()));
    const cv::Mat mask255 = mask * 255;
    io::write_png_file(io::path_from_utf8(out_path), mask255);
    const annotation::PolygonizeResult polygons = annotation::mask_to_polygons(mask);

    const double load_ms = loaded.duration_ms;
    const double encode_ms = encoded.duration_ms;
    if (as_json) {
        nlohmann::json j;
        j["device"] = loaded.device_name;
        j["dtype"] = loaded.dtype_name;
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
                loaded.device_name.c_str(), loaded.dtype_name.c_str(), load_ms, encode_ms, result.decode_ms,
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
