#include "core/engine/sam3/text/bpe_model.h"

#include <algorithm>

#include "core/engine/sam3/text/byte_level.h"

#include <queue>
#include <stdexcept>

namespace samlabel::engine::text {

BpeModel::BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                   std::string end_of_word_suffix, const std::string& unk_token)
    : vocab_(std::move(vocab)), end_of_word_suffix_(std::move(end_of_word_suffix)) {
    // Ids index the text encoder's embedding: what counts is one past the
    // largest, not the number of tokens (a vocabulary may skip ids; found by fuzz_tokenizer).
    for (const auto& entry : vocab_) id_bound_ = std::max<std::size_t>(id_bound_, std::size_t(entry.second) + 1);
    const auto unk = token_id(unk_token);
    if (!unk) throw std::invalid_argument("the unknown token \"" + unk_token + "\" is not in the vocabulary");
    unk_id_ = *unk;

    merges_.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const std::string& a = merges[rank].first;
        const std::string& b = merges[rank].second;
        const auto missing = [&](const std::string& token) {
            return BpeMergeError("merge " + std::to_string(rank + 1) + " (\"" + a + " " + b + "\"): \"" + token +
                                         "\" is not in the vocabulary");
        };
        const auto a_id = token_id(a), b_id = token_id(b), new_id = token_id(a + b);
        if (!a_id) throw missing(a);
        if (!b_id) throw missing(b);
        if (!new_id) throw missing(a + b);
        merges_[pair_key(*a_id, *b_id)] = Merge{static_cast<std::uint32_t>(rank), *new_id};
    }

    const auto& symbols = byte_level_symbols();
    byte_ids_.resize(256);
    byte_end_ids_.resize(256);
    for (int b = 0; b < 256; ++b) {
        byte_ids_[b] = token_id(symbols[b]);
        byte_end_ids_[b] = token_id(symbols[b] + end_of_word_suffix_);
    }
}

std::optional<std::uint32_t> BpeModel::token_id(std::string_view token) const {
    const auto it = vocab_.find(token);
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
}

const BpeModel::Merge* BpeModel::find_merge(std::uint32_t a, std::uint32_t b) const {
    const auto it = merges_.find(pair_key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
}

// tokenizers' Word::merge_all: a priority queue of the mergeable neighbour pairs, lowest
// rank first and, among equal ranks, leftmost first; stale entries are skipped.
void BpeModel::encode_word(std::string_view word, std::vector<std::uint32_t>& ids) const {
    if (word.empty()) return;
    struct Symbol {
        std::uint32_t id;
        int prev, next;
        bool removed;
    };
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    for (std::size_t i = 0; i < word.size(); ++i) {
        const auto byte = static_cast<unsigned char>(word[i]);
        const auto& id = i + 1 == word.size() ? byte_end_ids_[byte] : byte_ids_[byte];
        const int n = static_cast<int>(symbols.size());
        symbols.push_back(Symbol{id.value_or(unk_id_), n - 1, n + 1, false});
    }
    symbols.back().next = -1;

    struct Candidate {
        std::uint32_t rank;
        int pos;
        std::uint32_t new_id;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id))
            queue.push(Candidate{m->rank, static_cast<int>(i), m->new_id});

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& left = symbols[top.pos];
        if (left.removed || left.next == -1) continue;
        const int right_pos = left.next;
        const Merge* current = find_merge(left.id, symbols[right_pos].id);
        if (!current || current->new_id != top.new_id) continue;  // the pair changed since it was queued

        left.id = top.new_id;
        left.next = symbols[right_pos].next;
        symbols[right_pos].removed = true;
        if (left.next != -1) symbols[left.next].prev = top.pos;

        if (left.prev != -1)
            if (const Merge* m = find_merge(symbols[left.prev].id, left.id))
                queue.push(Candidate{m->rank, left.prev, m->new_id});
        if (left.next != -1)
            if (const Merge* m = find_merge(left.id, symbols[left.next].id))
                queue.push(Candidate{m->rank, top.pos, m->new_id});
    }
    for (const Symbol& s : symbols)
        if (!s.removed) ids.push_back(s.id);
}

}  // namespace samlabel::engine::text
