#include "core/engine/sam3/text/clip_tokenizer.h"
#include "core/engine/utf8_path.h"

#include "core/engine/sam3/text/bpe_model.h"
#include "core/engine/sam3/text/clip_pre_tokenizer.h"
#include "core/engine/sam3/text/clip_unicode.h"
#include "core/engine/sam3/text/tokenizer_files.h"
#include "core/engine/sam3/text/utf8.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace samlabel::engine::text {

namespace {

struct AddedToken {
    std::u32string content;  // as matched: raw, or normalized for `normalized` tokens
    std::uint32_t id;
};

// tokenizers' AddedVocabulary::find_matches: leftmost match first, the longest token at that
// position; the text between matches goes to `on_text`, each match to `on_token`.
void split_on_added_tokens(std::u32string_view text, const std::vector<AddedToken>& tokens,
                           const std::function<void(std::u32string_view)>& on_text,
                           const std::function<void(std::uint32_t)>& on_token) {
    std::size_t done = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const AddedToken* best = nullptr;
        for (const AddedToken& t : tokens)
            if ((!best || t.content.size() > best->content.size()) && text.substr(pos, t.content.size()) == t.content)
                best = &t;
        if (!best) {
            ++pos;
            continue;
        }
        if (pos > done) on_text(text.substr(done, pos - done));
        on_token(best->id);
        pos += best->content.size();
        done = pos;
    }
    if (done < text.size()) on_text(text.substr(done));
}

}  // namespace

struct ClipTokenizer::Impl {
    explicit Impl(BpeModel model) : bpe(std::move(model)) {}

    BpeModel bpe;
    std::vector<AddedToken> raw_tokens, normalized_tokens;
    std::uint32_t bos = 0, eos = 0, pad = 0;
    std::size_t id_count = 0;

    // Word -> ids. Bounded like tokenizers' own cache: once full it only serves hits.
    static constexpr std::size_t kCacheCapacity = 10000;
    mutable std::mutex cache_mutex;
    mutable std::unordered_map<std::string, std::vector<std::uint32_t>, BpeModel::StringHash, std::equal_to<>> cache;

    void encode_word(const std::string& word, std::vector<std::uint32_t>& ids) const {
        {
            std::lock_guard lock(cache_mutex);
            if (const auto it = cache.find(word); it != cache.end()) {
                ids.insert(ids.end(), it->second.begin(), it->second.end());
                return;
            }
        }
        std::vector<std::uint32_t> word_ids;
        bpe.encode_word(word, word_ids);
        ids.insert(ids.end(), word_ids.begin(), word_ids.end());
        std::lock_guard lock(cache_mutex);
        if (cache.size() < kCacheCapacity) cache.emplace(word, std::move(word_ids));
    }

    void encode_normalized(std::u32string_view normalized, std::vector<std::uint32_t>& ids) const {
        std::string word;
        for (std::u32string_view w : clip_pre_tokenize(normalized)) {
            word.clear();
            for (char32_t cp : w) append_utf8(word, cp);
            encode_word(word, ids);
        }
    }
};

PromptTooLong::PromptTooLong(int token_count, int context_length)
    : std::invalid_argument("prompt is " + std::to_string(token_count) + " tokens (" + std::to_string(token_count - 2) +
                            " + start/end); SAM3's text encoder takes at most " + std::to_string(context_length) + " (" +
                            std::to_string(context_length - 2) + " + start/end)"),
      token_count_(token_count),
      context_length_(context_length) {}

ClipTokenizer ClipTokenizer::from_folder(const std::filesystem::path& checkpoint_folder) {
    TokenizerFiles files = read_tokenizer_files(checkpoint_folder);
    std::unique_ptr<Impl> impl;
    try {
        impl = std::make_unique<Impl>(BpeModel(std::move(files.vocab), files.merges, "</w>", files.unk_token));
    } catch (const BpeMergeError& e) {
        throw TokenizerError(engine::path_to_utf8(files.merges_file) + ": " + e.what());
    } catch (const std::invalid_argument& e) {
        throw TokenizerError(engine::path_to_utf8(files.model_file) + ": " + e.what());
    }

    // Ids: the model's for tokens in its vocabulary, new ones after it otherwise (tokenizers'
    // AddedVocabulary::add_tokens); flags: the last spec of each content wins.
    std::vector<std::pair<std::string, AddedTokenSpec>> final_specs;  // by first appearance
    std::unordered_map<std::string, std::uint32_t> added_ids;
    const std::size_t model_size = impl->bpe.size();
    std::optional<std::uint32_t> max_added;
    impl->id_count = model_size;
    for (const AddedTokenSpec& spec : files.added_tokens) {
        if (spec.content.empty()) continue;
        const auto existing = std::find_if(final_specs.begin(), final_specs.end(),
                                           [&](const auto& entry) { return entry.first == spec.content; });
        if (existing != final_specs.end()) {
            existing->second = spec;
            continue;
        }
        final_specs.emplace_back(spec.content, spec);
        std::uint32_t id = 0;
        if (const auto in_vocab = impl->bpe.token_id(spec.content)) {
            id = *in_vocab;
        } else {
            id = static_cast<std::uint32_t>(max_added && *max_added >= model_size ? *max_added + 1 : model_size);
            ++impl->id_count;
        }
        added_ids[spec.content] = id;
        max_added = std::max(max_added.value_or(0), id);
    }
    // The embedding must have a row for every id, also where a vocabulary skips ids.
    impl->id_count = std::max({impl->id_count, impl->bpe.id_bound(), max_added ? std::size_t(*max_added) + 1 : std::size_t(0)});
    for (const auto& [content, spec] : final_specs) {
        const std::u32string text = decode_utf8(content);  // valid: nlohmann::json checked it
        // Normalized tokens are matched in normalized text, so their pattern is normalized too.
        (spec.normalized ? impl->normalized_tokens : impl->raw_tokens)
            .push_back(AddedToken{spec.normalized ? clip_normalize(text) : text, added_ids.at(content)});
    }

    const auto id_of = [&](const std::string& role, const std::string& token) -> std::uint32_t {
        if (const auto it = added_ids.find(token); it != added_ids.end()) return it->second;
        if (const auto id = impl->bpe.token_id(token)) return *id;
        throw TokenizerError(engine::path_to_utf8(files.model_file) + ": the " + role + " token \"" + token + "\" is not in the vocabulary");
    };
    impl->bos = id_of("start", files.bos_token);
    impl->eos = id_of("end", files.eos_token);
    impl->pad = id_of("padding", files.pad_token);
    return ClipTokenizer(std::move(impl));
}

std::vector<std::string> ClipTokenizer::missing_files(const std::filesystem::path& checkpoint_folder) {
    return missing_tokenizer_files(checkpoint_folder);
}

TokenizedPrompt ClipTokenizer::encode(std::string_view utf8_prompt, int context_length) const {
    if (context_length < 2)
        throw std::invalid_argument("context_length " + std::to_string(context_length) + " leaves no room for start and end");
    std::u32string text;
    try {
        text = decode_utf8(utf8_prompt);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("prompt is not valid UTF-8: ") + e.what());
    }

    std::vector<std::uint32_t> ids{impl_->bos};
    const auto push_token = [&](std::uint32_t id) { ids.push_back(id); };
    split_on_added_tokens(
        text, impl_->raw_tokens,
        [&](std::u32string_view raw) {
            const std::u32string normalized = clip_normalize(raw);
            split_on_added_tokens(
                normalized, impl_->normalized_tokens, [&](std::u32string_view piece) { impl_->encode_normalized(piece, ids); },
                push_token);
        },
        push_token);
    ids.push_back(impl_->eos);

    const int count = static_cast<int>(ids.size());
    if (count > context_length) throw PromptTooLong(count, context_length);
    TokenizedPrompt out;
    out.valid_length = count;
    out.input_ids.assign(ids.begin(), ids.end());
    out.input_ids.resize(context_length, impl_->pad);
    out.attention_mask.assign(count, 1);
    out.attention_mask.resize(context_length, 0);
    return out;
}

std::int64_t ClipTokenizer::bos_id() const { return impl_->bos; }
std::int64_t ClipTokenizer::eos_id() const { return impl_->eos; }
std::int64_t ClipTokenizer::pad_id() const { return impl_->pad; }
std::size_t ClipTokenizer::vocab_size() const { return impl_->id_count; }

ClipTokenizer::ClipTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipTokenizer::~ClipTokenizer() = default;
ClipTokenizer::ClipTokenizer(ClipTokenizer&&) noexcept = default;
ClipTokenizer& ClipTokenizer::operator=(ClipTokenizer&&) noexcept = default;

}  // namespace samlabel::engine::text
