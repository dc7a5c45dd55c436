// CLIP's byte-level BPE tokenizer for SAM3 text prompts: the exact ids and attention mask
// of transformers 5.23's CLIPTokenizer as SAM3's processor calls it
// (tokenizer(text, padding="max_length", max_length=32)), without Python, torch or ICU.
//
// Pipeline (transformers/models/clip/tokenization_clip.py):
//   added/special tokens split out of the raw text (those marked `normalized` out of the
//   normalized text) -> NFC -> \s runs to one space -> per-code-point lowercase ->
//   Split regex + ByteLevel (GPT-2 bytes) -> BPE with "</w>" -> BOS + ids + EOS -> pad.
// A prompt that needs more ids than the context is refused (PromptTooLong), never cut.
// Invalid UTF-8 in a prompt is refused with std::invalid_argument (transformers receives a
// Python str, which cannot hold it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::engine::text {

struct TokenizedPrompt {
    std::vector<std::int64_t> input_ids;       // exactly context_length ids (right-padded with the pad id)
    std::vector<std::int64_t> attention_mask;  // 1 for BOS..EOS, 0 for padding
    int valid_length = 0;                      // number of 1s in attention_mask
};

// Bad or missing tokenizer files; the message names the file and the problem.
class TokenizerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The prompt needs more ids than the text encoder's context, e.g.
// "prompt is 41 tokens (39 + start/end); SAM3's text encoder takes at most 32 (30 + start/end)".
class PromptTooLong : public std::invalid_argument {
public:
    PromptTooLong(int token_count, int context_length);
    int token_count() const noexcept { return token_count_; }  // ids including start and end
    int context_length() const noexcept { return context_length_; }

private:
    int token_count_;
    int context_length_;
};

class ClipTokenizer {
public:
    // Reads tokenizer.json if present, else vocab.json + merges.txt. Special and added tokens
    // come from tokenizer_config.json (added_tokens_decoder, bos/eos/unk/pad_token,
    // additional/extra_special_tokens), else from special_tokens_map.json and tokenizer.json's
    // added_tokens, else the CLIP defaults (<|startoftext|>; <|endoftext|> as eos, pad and unk),
    // resolved as transformers 5.23 resolves them. As in transformers, the pipeline is always
    // CLIPTokenizer's own: tokenizer.json contributes only its vocabulary, merges and added
    // tokens, not its normalizer or pre-tokenizer. Throws TokenizerError.
    static ClipTokenizer from_folder(const std::filesystem::path& checkpoint_folder);

    // The files the folder lacks for tokenization; empty when it can tokenize. tokenizer.json
    // alone, or vocab.json + merges.txt, suffice: a folder holding one of vocab.json /
    // merges.txt gets the other back, a folder holding none gets {"tokenizer.json"}. Meant for
    // messages like "text prompts need tokenizer.json (or vocab.json + merges.txt) in <folder>".
    static std::vector<std::string> missing_files(const std::filesystem::path& checkpoint_folder);

    // Throws PromptTooLong (never truncates), std::invalid_argument for invalid UTF-8 or a
    // context_length below 2. Safe to call from several threads at once.
    TokenizedPrompt encode(std::string_view utf8_prompt, int context_length = 32) const;

    std::int64_t bos_id() const;
    std::int64_t eos_id() const;
    std::int64_t pad_id() const;
    // One past the largest id: the BPE vocabulary plus added tokens outside it (49408
    // for CLIP); the text encoder's embedding needs this many rows.
    std::size_t vocab_size() const;

    ~ClipTokenizer();
    ClipTokenizer(ClipTokenizer&&) noexcept;
    ClipTokenizer& operator=(ClipTokenizer&&) noexcept;

private:
    struct Impl;
    explicit ClipTokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace samlabel::engine::text
