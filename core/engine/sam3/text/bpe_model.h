// Byte-level BPE as tokenizers' BPE model runs it for CLIP (end_of_word_suffix "</w>", no
// continuing-subword prefix, no dropout, unknown symbols -> unk one by one).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace samlabel::engine::text {

// A merge names a token that is not in the vocabulary.
class BpeMergeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

class BpeModel {
public:
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using Vocab = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

    // Rank = position in `merges`; a later duplicate pair replaces an earlier one (as in
    // tokenizers). Throws BpeMergeError when a merge names a token outside the vocabulary
    // ("merge 12 (\"a b\"): \"ab\" is not in the vocabulary"), std::invalid_argument when
    // the unk token is not in it.
    BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
             std::string end_of_word_suffix, const std::string& unk_token);

    // Appends the ids of one pre-tokenized word, given as its UTF-8 bytes.
    void encode_word(std::string_view word, std::vector<std::uint32_t>& ids) const;

    std::optional<std::uint32_t> token_id(std::string_view token) const;
    std::size_t size() const { return vocab_.size(); }
    std::size_t id_bound() const { return id_bound_; }  // one past the largest id

private:
    struct Merge {
        std::uint32_t rank;
        std::uint32_t new_id;
    };
    static std::uint64_t pair_key(std::uint32_t a, std::uint32_t b) { return (std::uint64_t{a} << 32) | b; }
    const Merge* find_merge(std::uint32_t a, std::uint32_t b) const;

    Vocab vocab_;
    std::unordered_map<std::uint64_t, Merge> merges_;
    std::string end_of_word_suffix_;
    std::uint32_t unk_id_ = 0;
    std::size_t id_bound_ = 0;
    std::vector<std::optional<std::uint32_t>> byte_ids_;       // id of each byte's symbol
    std::vector<std::optional<std::uint32_t>> byte_end_ids_;   // ... with the suffix
};

}  // namespace samlabel::engine::text
