// The Unicode operations of CLIP's tokenizer pipeline (transformers' CLIPTokenizer on the
// `tokenizers` library), from tables measured on that reference by
// tools/make_clip_unicode_tables.py (clip_unicode_tables.inc). No ICU: the reference's
// own Unicode versions differ from any ICU's (its NFC data is older than Unicode 10).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace samlabel::engine::text {

// How the reference's Oniguruma regexes see a code point: \p{L}, \p{N}, \s or none of them.
enum class CharClass : std::uint8_t { Other, Letter, Number, Space };

CharClass char_class(char32_t cp);

// Rust's char::to_lowercase, one code point at a time (no final-sigma rule; U+0130 becomes
// "i" + U+0307), as tokenizers' Lowercase normalizer applies it.
void append_lowercase(char32_t cp, std::u32string& out);

// Canonical composition (NFC) with the reference's data.
std::u32string nfc(std::u32string_view text);

// CLIPTokenizer's normalizer: NFC, then every run of \s becomes one space, then lowercase.
std::u32string clip_normalize(std::u32string_view text);

}  // namespace samlabel::engine::text
