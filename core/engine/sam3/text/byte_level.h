// GPT-2's bytes_to_unicode, which CLIP's vocabulary is written in.
#pragma once

#include <array>
#include <string>

namespace samlabel::engine::text {

// For each byte value, the UTF-8 of the printable character that stands for it in the
// vocabulary: printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for
// themselves, the other 68 map in order to U+0100, U+0101, ... (so ' ' is "Ġ").
const std::array<std::string, 256>& byte_level_symbols();

}  // namespace samlabel::engine::text
