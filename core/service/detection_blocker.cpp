#include "core/service/detection_blocker.h"

#include "core/engine/sam3/text/clip_tokenizer.h"

namespace samlabel::service {

QString detection_blocker(const engine::LoadRequest& request) {
    if (!engine::part_set_has_detect(request.parts)) return {};
    const std::vector<std::string> missing = engine::text::ClipTokenizer::missing_files(request.checkpoint_dir);
    if (missing.empty()) return {};
    const bool neither = missing.size() == 1 && missing[0] == "tokenizer.json";
    const QString what = neither ? QStringLiteral("tokenizer.json (or vocab.json + merges.txt)") : QString::fromStdString(missing[0]);
    return QStringLiteral("Text prompts cannot load: %1 is missing in this folder. Choose Click-to-segment, or add the "
                          "tokenizer files from the checkpoint's repository.")
        .arg(what);
}

}  // namespace samlabel::service
