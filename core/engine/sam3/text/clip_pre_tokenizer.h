// CLIPTokenizer's pre-tokenizer: the words that BPE encodes one by one.
#pragma once

#include <string_view>
#include <vector>

namespace samlabel::engine::text {

// Splits normalized text the way the reference's two pre-tokenizers do in sequence:
//  1. Split on  <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//     keeping the matches and dropping what lies between them (whitespace);
//  2. ByteLevel's GPT-2 regex on each piece:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|...
//     which only changes the special-token look-alikes ("<|endoftext|>" -> "<|", "endoftext", "|>").
// Only the ASCII apostrophe forms contractions; digits are one word each.
// The words are views into `normalized`.
std::vector<std::u32string_view> clip_pre_tokenize(std::u32string_view normalized);

}  // namespace samlabel::engine::text
