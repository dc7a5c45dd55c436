// samlabel-cli detect WEIGHTS IMAGE --text "car" [--text ...] [--box x0,y0,x1,y1]... [--neg-box ...]...
//                     [--threshold 0.3] [--mask-threshold 0.5] [--device ...] [--dtype ...]
//                     [--ram-budget GiB] [--vram-budget GiB] [--json] [--out DIR]
// Concept detection from the command line, as the Python tools run SAM3's
// Sam3Model + Sam3Processor: finds every instance of a text and/or exemplar
// boxes. Goes through the model session, so the memory preflight decides
// first (exit 3 when refused). Several --text prompts share one image encode.
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "app/cli/model_options.h"
#include "core/annotation/mask_geometry.h"
#include "core/engine/model_session.h"
#include "core/engine/sam3/text/clip_tokenizer.h"
#include "core/annotation/atomic_file.h"
#include "core/io/image_writer.h"
#include "core/service/image_source.h"
#include "core/io/utf8_path.h"

#include <QString>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

namespace samlabel::cli {
namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: samlabel-cli detect WEIGHTS IMAGE [--text TEXT]... [--box x0,y0,x1,y1]... [--neg-box x0,y0,x1,y1]...\n"
    "                           [--threshold 0.3] [--mask-threshold 0.5] [--dtype auto|fp32|bf16|fp16]\n"
    "                           [--device auto|cpu|cuda[:N]] [--ram-budget GiB] [--vram-budget GiB] [--json] [--out DIR]\n"
    "  WEIGHTS  a SAM3 checkpoint folder (facebook/sam3 layout, with its tokenizer files)\n"
    "  IMAGE    any image samlabel reads (EXIF orientation applied)\n"
    "  --text TEXT          what to find (\"car\"); repeatable: every text runs on the same encoded image\n"
    "  --box / --neg-box    exemplar boxes in image pixels: more like this / not like this; repeatable;\n"
    "                       with no --text the boxes alone are the prompt\n"
    "  --threshold T        keep instances whose score (object x presence) is above T (default 0.3)\n"
    "  --mask-threshold M   mask pixels whose probability is above M (default 0.5)\n"
    "  --out DIR            write one 0/255 mask PNG per instance and detections.json there\n"
    "  --json               print the result as JSON\n";
const char* kExitCodes = "exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused by the memory preflight\n";

std::ostream& usage(std::ostream& out) { return out << kUsage << kModelOptionsUsageNoParts << kExitCodes; }

std::string safe_stem(const std::string& text) {
    std::string out;
    for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out.empty() ? "boxes" : out.substr(0, 40);
}

}  // namespace

int cmd_detect(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        usage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? kExitUsage : kExitOk;
    }
    std::vector<std::string> positional, texts;
    std::vector<engine::ExemplarBox> boxes;
    engine::DetectOptions options;
    ModelOptions model;
    model.request.parts = engine::PartSet::DetectOnly;
    fs::path out_dir;
    bool as_json = false;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            auto next = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
                return args[++i];
            };
            if (a == "--text") texts.push_back(next());
            else if (a == "--box" || a == "--neg-box") {
                const auto b = parse_numbers(next(), 4, a);
                boxes.push_back({b[0], b[1], b[2], b[3], a == "--box"});
            } else if (a == "--threshold") options.score_threshold = parse_fraction(next(), a);
            else if (a == "--mask-threshold") options.mask_threshold = parse_fraction(next(), a);
            else if (take_model_option(a, next, model, PartsOption::Fixed)) continue;
            else if (a == "--out") out_dir = io::path_from_utf8(next());
            else if (a == "--json") as_json = true;
            else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
            else positional.push_back(a);
        }
        if (positional.size() != 2) throw std::invalid_argument("expected WEIGHTS and IMAGE");
        if (texts.empty() && boxes.empty()) throw std::invalid_argument("give a --text, exemplar boxes (--box), or both");
        if (texts.empty()) texts.push_back("");  // boxes only
    } catch (const std::invalid_argument& e) {
        usage(std::cerr << "samlabel-cli detect: " << e.what() << "\n");
        return kExitUsage;
    }
    model.request.checkpoint_dir = io::path_from_utf8(positional[0]);

    QString read_error;
    const std::optional<service::ModelImage> image = service::read_model_image(QString::fromUtf8(positional[1]), &read_error);
    if (!image) {
        std::cerr << "samlabel-cli detect: " << read_error.toStdString() << "\n";
        return kExitFailure;
    }

    engine::ModelSession session;
    use_converted_weights_cache(session);
    const engine::LoadOutcome loaded = session.load(model.request, {}, model.budget);
    if (const int refused_or_failed = report_load_outcome("detect", loaded)) return refused_or_failed;
    const engine::EncodeOutcome encoded = session.encode(image->image, image->content_key);
    if (!encoded.ok()) {
        std::cerr << "samlabel-cli detect: encoding " << positional[1] << ": " << encoded.message << "\n";
        return encoded.status == engine::EncodeStatus::Refused ? kExitRefused : kExitFailure;
    }
    if (!out_dir.empty()) fs::create_directories(out_dir);

    nlohmann::json report{{"image", positional[1]},
                          {"width", image->image.width},
                          {"height", image->image.height},
                          {"device", loaded.device_name},
                          {"dtype", loaded.dtype_name},
                          {"load_ms", loaded.duration_ms},
                          {"encode_ms", encoded.duration_ms},
                          {"threshold", options.score_threshold},
                          {"mask_threshold", options.mask_threshold},
                          {"prompts", nlohmann::json::array()}};
    if (!as_json)
        std::printf("model %s %s: load %.0f ms; %s %dx%d encoded in %.0f ms\n", loaded.device_name.c_str(),
                    loaded.dtype_name.c_str(), loaded.duration_ms, positional[1].c_str(), image->image.width,
                    image->image.height, encoded.duration_ms);
    for (const std::string& text : texts) {
        engine::DetectResult result;
        try {
            result = session.detect(image->content_key, engine::DetectPrompt{text, boxes}, options);
        } catch (const std::invalid_argument& e) {  // text::PromptTooLong among them
            std::cerr << "samlabel-cli detect: \"" << text << "\": " << e.what() << "\n";
            return kExitUsage;
        }
        nlohmann::json prompt{{"text", text},
                              {"token_count", result.token_ids.size()},
                              {"presence_score", result.presence_score},
                              {"text_ms", result.text_ms},
                              {"detect_ms", result.detect_ms},
                              {"masks_ms", result.masks_ms},
                              {"detections", nlohmann::json::array()}};
        for (const auto& b : boxes) prompt["boxes"].push_back({{"box", {b.x0, b.y0, b.x1, b.y1}}, {"positive", b.positive}});
        if (!as_json)
            std::printf("\"%s\"%s: %zu instance(s) above %.2f (presence %.3f; text %.1f ms, detect %.0f ms, masks %.0f ms)\n",
                        text.empty() ? "(boxes)" : text.c_str(), boxes.empty() ? "" : (" + " + std::to_string(boxes.size()) + " box(es)").c_str(),
                        result.detections.size(), options.score_threshold, result.presence_score, result.text_ms,
                        result.detect_ms, result.masks_ms);
        for (std::size_t k = 0; k < result.detections.size(); ++k) {
            const engine::Detection& d = result.detections[k];
            std::size_t area = 0;
            for (auto v : d.mask) area += v;
            nlohmann::json det{{"query", d.query}, {"score", d.score}, {"box", {d.box.x0, d.box.y0, d.box.x1, d.box.y1}}, {"area_px", area}};
            const cv::Mat mask(d.height, d.width, CV_8UC1, const_cast<std::uint8_t*>(d.mask.data()));
            if (!out_dir.empty()) {
                const fs::path file = out_dir / io::path_from_utf8(safe_stem(text) + ".instance" + std::to_string(k) + ".png");
                const cv::Mat mask255 = mask * 255;
                io::write_png_file(file, mask255);
                det["mask"] = io::path_to_utf8(file.filename());
            }
            det["polygons"] = annotation::mask_to_polygons(mask).polygons.size();
            if (!as_json)
                std::printf("  %2zu  query %3d  score %.3f  box %.1f,%.1f,%.1f,%.1f  area %zu px\n", k, d.query, d.score, d.box.x0,
                            d.box.y0, d.box.x1, d.box.y1, area);
            prompt["detections"].push_back(det);
        }
        report["prompts"].push_back(prompt);
    }
    if (!out_dir.empty()) {
        // A full disk must not leave a cut-off detections.json behind a "written" message.
        annotation::write_file_atomically(out_dir / "detections.json", report.dump(1) + "\n");
        if (!as_json) std::printf("masks and detections.json written to %s\n", io::path_to_utf8(out_dir).c_str());
    }
    if (as_json) std::cout << report.dump(1) << "\n";
    return kExitOk;
}

}  // namespace samlabel::cli
