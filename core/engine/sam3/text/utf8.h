// Strict UTF-8 <-> code points for the CLIP tokenizer.
#pragma once

#include <string>
#include <string_view>

namespace samlabel::engine::text {

// Decodes UTF-8 (RFC 3629). Overlong forms, surrogates (U+D800..U+DFFF), values above
// U+10FFFF, stray continuation bytes and truncated sequences are refused with a
// std::invalid_argument naming the byte offset and the byte, e.g.
// "invalid UTF-8 at byte 3 (0xC3): truncated sequence".
std::u32string decode_utf8(std::string_view utf8);

// Appends the UTF-8 form of a Unicode scalar value.
void append_utf8(std::string& out, char32_t cp);

std::string encode_utf8(std::u32string_view text);

}  // namespace samlabel::engine::text
