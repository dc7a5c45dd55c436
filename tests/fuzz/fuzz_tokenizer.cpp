// libFuzzer target: a checkpoint folder's tokenizer files (tokenizer.json,
// vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json: the
// input's parts, an empty part is a missing file) read by
// ClipTokenizer::from_folder, then a few prompts encoded with the result.
// Bad files must give a TokenizerError naming the file.
#include "core/engine/sam3/text/clip_tokenizer.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzz::ScratchFolder folder;
    folder.clear();
    const auto parts = fuzz::split_files(data, size, 5);
    const char* names[] = {"tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"};
    for (int i = 0; i < 5; ++i)
        if (!parts[i].empty()) folder.write(names[i], parts[i]);
    (void)engine::text::ClipTokenizer::missing_files(folder.path());
    try {
        const engine::text::ClipTokenizer tokenizer = engine::text::ClipTokenizer::from_folder(folder.path());
        for (const char* prompt : {"a car", "traffic light", "<|startoftext|>dog<|endoftext|>", "  Ünïcödé  ", ""}) {
            try {
                const engine::text::TokenizedPrompt ids = tokenizer.encode(prompt);
                if (ids.input_ids.size() != 32 || ids.attention_mask.size() != 32)
                    fuzz::invariant_failed("an encoded prompt is not context_length ids");
                for (const std::int64_t id : ids.input_ids)
                    if (id < 0 || std::uint64_t(id) >= tokenizer.vocab_size()) fuzz::invariant_failed("an id outside the vocabulary");
            } catch (const engine::text::PromptTooLong&) {
            }
        }
    } catch (const engine::text::TokenizerError&) {
    }
    return 0;
}
