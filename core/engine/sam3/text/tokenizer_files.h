// Reading a checkpoint folder's tokenizer files the way transformers 5.23 does for
// CLIPTokenizer.from_pretrained: vocabulary, merges and the added/special tokens.
#pragma once

#include "core/engine/sam3/text/bpe_model.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace samlabel::engine::text {

struct AddedTokenSpec {
    std::string content;
    bool normalized = false;  // matched in the normalized text instead of the raw text
};

struct TokenizerFiles {
    BpeModel::Vocab vocab;
    std::vector<std::pair<std::string, std::string>> merges;
    std::filesystem::path model_file;   // where the vocabulary came from: tokenizer.json or vocab.json
    std::filesystem::path merges_file;  // where the merges came from: tokenizer.json or merges.txt
    // In the order transformers adds them to the backend; a later spec with the same content
    // replaces an earlier one's flags (tokenizers' add_tokens), ids follow first appearance.
    std::vector<AddedTokenSpec> added_tokens;
    std::string bos_token = "<|startoftext|>", eos_token = "<|endoftext|>";
    std::string unk_token = "<|endoftext|>", pad_token = "<|endoftext|>";
};

// Throws TokenizerError (clip_tokenizer.h) naming the file and the problem.
TokenizerFiles read_tokenizer_files(const std::filesystem::path& folder);

// See ClipTokenizer::missing_files.
std::vector<std::string> missing_tokenizer_files(const std::filesystem::path& folder);

}  // namespace samlabel::engine::text
