#include "core/engine/sam3/text/clip_pre_tokenizer.h"

#include "core/engine/sam3/text/clip_unicode.h"

#include <array>

namespace samlabel::engine::text {

namespace {

// Length of the contraction ('s 't 're 've 'm 'll 'd, in the regexes' order) at text[pos], or 0.
std::size_t contraction_at(std::u32string_view text, std::size_t pos) {
    static constexpr std::array<std::u32string_view, 7> kContractions{U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
    if (text[pos] != U'\'') return 0;
    for (std::u32string_view c : kContractions)
        if (text.substr(pos, c.size()) == c) return c.size();
    return 0;
}

// End of the run of characters of class `cls` that starts at pos.
std::size_t run_end(std::u32string_view text, std::size_t pos, CharClass cls) {
    while (pos < text.size() && char_class(text[pos]) == cls) ++pos;
    return pos;
}

// Step 2: the GPT-2 regex of the ByteLevel pre-tokenizer on one piece (which holds no \s).
void split_gpt2(std::u32string_view piece, std::vector<std::u32string_view>& words) {
    std::size_t pos = 0;
    while (pos < piece.size()) {
        std::size_t end = pos + contraction_at(piece, pos);
        if (end == pos) end = run_end(piece, pos, char_class(piece[pos]));  // \p{L}+, \p{N}+ or [^\s\p{L}\p{N}]+
        words.push_back(piece.substr(pos, end - pos));
        pos = end;
    }
}

}  // namespace

std::vector<std::u32string_view> clip_pre_tokenize(std::u32string_view text) {
    static constexpr std::array<std::u32string_view, 2> kSpecialLookAlikes{U"<|startoftext|>", U"<|endoftext|>"};
    std::vector<std::u32string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Alternatives in the Split regex's order; the first that matches at pos wins.
        std::size_t end = pos;
        for (std::u32string_view special : kSpecialLookAlikes)
            if (end == pos && text.substr(pos, special.size()) == special) end = pos + special.size();
        if (end == pos) end = pos + contraction_at(text, pos);
        if (end == pos) {
            switch (char_class(text[pos])) {
            case CharClass::Letter: end = run_end(text, pos, CharClass::Letter); break;
            case CharClass::Number: end = pos + 1; break;
            case CharClass::Other: end = run_end(text, pos, CharClass::Other); break;
            case CharClass::Space: ++pos; continue;  // between matches: removed
            }
        }
        split_gpt2(text.substr(pos, end - pos), words);
        pos = end;
    }
    return words;
}

}  // namespace samlabel::engine::text
