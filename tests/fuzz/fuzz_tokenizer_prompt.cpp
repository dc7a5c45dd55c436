// libFuzzer target: text prompts (the detect endpoint's "text", the find bar)
// through the CLIP tokenizer of the det224 fixture. Invalid UTF-8 must give
// std::invalid_argument, a long prompt PromptTooLong; every id in range.
#include "core/engine/sam3/text/clip_tokenizer.h"
#include "tests/fuzz/fuzz_support.h"

using namespace samlabel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const engine::text::ClipTokenizer tokenizer =
        engine::text::ClipTokenizer::from_folder(SAMLABEL_TEST_DATA "/sam3_detect/det224");
    const std::string_view prompt(reinterpret_cast<const char*>(data), size);
    try {
        const engine::text::TokenizedPrompt ids = tokenizer.encode(prompt);
        if (ids.input_ids.size() != 32 || ids.valid_length < 2 || ids.valid_length > 32)
            fuzz::invariant_failed("an encoded prompt is not 32 ids with start and end");
        for (const std::int64_t id : ids.input_ids)
            if (id < 0 || std::uint64_t(id) >= tokenizer.vocab_size()) fuzz::invariant_failed("an id outside the vocabulary");
    } catch (const std::invalid_argument&) {  // PromptTooLong, invalid UTF-8
    }
    return 0;
}
