// samlabel-cli info DIR: what a SAM3 checkpoint holds, per part and dtype, and
// what each part set (click-to-segment, detect, both) would load.
#include "app/cli/cli_command.h"
#include "core/engine/checkpoint.h"
#include "core/engine/memory_budget.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/utf8_path.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>

namespace samlabel::cli {

namespace {

std::string millions(std::uint64_t parameters) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f M", static_cast<double>(parameters) / 1e6);
    return text;
}

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

// The part column fits the longest part name, so no name runs into the next column.
std::size_t part_column_width() {
    std::size_t width = std::string("all tensors").size();
    for (const engine::ModelPart part : engine::kAllModelParts) width = std::max(width, engine::model_part_name(part).size());
    return width + 2;
}

void print_row(const std::string& label, const engine::PartFigures& f) {
    std::cout << "  " << pad(label, part_column_width()) << pad(std::to_string(f.tensors), 9) << pad(std::to_string(f.parameters), 13)
              << pad(millions(f.parameters), 11) << pad(engine::format_bytes(f.stored_bytes), 12);
    bool first = true;
    for (const auto& [dtype, bytes] : f.bytes_per_dtype) {
        std::cout << (first ? "" : ", ") << engine::tensor_dtype_name(dtype) << " " << engine::format_bytes(bytes);
        first = false;
    }
    std::cout << "\n";
}

}  // namespace

int cmd_info(const Args& args) {
    if (args.size() != 1 || args[0] == "--help" || args[0] == "-h") {
        (args.size() == 1 ? std::cout : std::cerr)
            << "usage: samlabel-cli info DIR\n"
               "  DIR: a Hugging Face SAM3 folder (config.json + model.safetensors or a sharded index),\n"
               "       or one .safetensors file. Prints tensors, parameters and bytes per model part and dtype.\n";
        return args.size() == 1 ? kExitOk : kExitUsage;
    }
    const auto checkpoint = engine::Checkpoint::open(engine::path_from_utf8(args[0]));
    const auto summary = engine::PartSummary::of_checkpoint(*checkpoint);

    std::cout << "checkpoint " << engine::path_to_utf8(checkpoint->directory()) << "\n";
    for (const auto& file : checkpoint->files())
        std::cout << "  file " << engine::path_to_utf8(file.filename()) << "\n";
    if (checkpoint->config().contains("model_type") && checkpoint->config()["model_type"].is_string())
        std::cout << "  model_type " << checkpoint->config()["model_type"].get<std::string>() << "\n";
    std::cout << "\n  " << pad("part", part_column_width()) << pad("tensors", 9) << pad("parameters", 13) << pad("", 11) << pad("stored", 12)
              << "by dtype\n";
    for (const engine::ModelPart part : engine::kAllModelParts) {
        const auto& f = summary.of(part);
        if (f.tensors == 0 && part == engine::ModelPart::Unknown) continue;
        print_row(std::string(engine::model_part_name(part)), f);
    }
    print_row("all tensors", summary.total);

    std::cout << "\n";
    for (const engine::PartSet set : {engine::PartSet::ClickToSegment, engine::PartSet::DetectOnly, engine::PartSet::ClickAndDetect}) {
        const auto f = summary.of(set);
        std::cout << "  " << pad(std::string(engine::part_set_name(set)), 18) << f.tensors << " tensors, " << f.parameters
                  << " parameters (" << millions(f.parameters) << "); weights "
                  << engine::format_bytes(f.bytes_in(engine::WeightDType::F32)) << " in fp32, "
                  << engine::format_bytes(f.bytes_in(engine::WeightDType::BF16)) << " in bf16/fp16\n";
    }
    if (summary.of(engine::ModelPart::Unknown).tensors)
        std::cout << "\n  note: " << summary.of(engine::ModelPart::Unknown).tensors
                  << " tensors are not part of the facebook/sam3 layout\n";
    return kExitOk;
}

}  // namespace samlabel::cli
