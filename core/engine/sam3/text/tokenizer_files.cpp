#include "core/engine/sam3/text/tokenizer_files.h"
#include "core/engine/utf8_path.h"

#include "core/engine/sam3/text/clip_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

namespace samlabel::engine::text {

namespace {

namespace fs = std::filesystem;
// The config files' key order decides the order of model-specific "*_token" keys, so they
// keep it (ordered_json); the vocabulary files are too large for its linear-search objects.
using json = nlohmann::ordered_json;
using large_json = nlohmann::json;

// transformers' SPECIAL_TOKENS_ATTRIBUTES, in the order it adds them.
constexpr const char* kNamedTokens[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                        "pad_token", "cls_token", "mask_token"};

[[noreturn]] void fail(const fs::path& file, const std::string& problem) {
    throw TokenizerError(engine::path_to_utf8(file) + ": " + problem);
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(file, "cannot be opened");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) fail(file, "cannot be read");
    return text.str();
}

template <typename Json = json>
Json read_json_object(const fs::path& file) {
    Json j;
    try {
        j = Json::parse(read_text(file));
    } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for a number that overflows
        std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line 1, ..."
        if (const auto bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
        fail(file, "is not valid JSON: " + what);
    }
    if (!j.is_object()) fail(file, "is not a JSON object");
    return j;
}

BpeModel::Vocab parse_vocab(const large_json& j, const fs::path& file, const std::string& where) {
    if (!j.is_object()) fail(file, where + " is not an object of token -> id");
    BpeModel::Vocab vocab;
    vocab.reserve(j.size());
    for (const auto& [token, id] : j.items()) {
        const bool in_range = id.is_number_unsigned() ? id.get<std::uint64_t>() <= std::numeric_limits<std::uint32_t>::max()
                                                      : id.is_number_integer() && id.get<std::int64_t>() >= 0;
        if (!in_range)
            fail(file, where + ": the id of \"" + token + "\" is not an integer in [0, 2^32)");
        vocab.emplace(token, id.get<std::uint32_t>());
    }
    if (vocab.empty()) fail(file, where + " is empty");
    return vocab;
}

// merges.txt as tokenizers reads it: one "a b" pair a line, "#version" lines skipped.
std::vector<std::pair<std::string, std::string>> parse_merges_txt(const fs::path& file) {
    const std::string text = read_text(file);
    std::vector<std::pair<std::string, std::string>> merges;
    std::size_t start = 0;
    for (std::size_t line_number = 1; start < text.size(); ++line_number) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.starts_with("#version")) continue;
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
            line.find(' ', space + 1) != std::string_view::npos)
            fail(file, "line " + std::to_string(line_number) + " is not two tokens separated by one space");
        merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    }
    return merges;
}

// tokenizer.json's model.merges: ["a b", ...] (older files) or [["a", "b"], ...].
std::vector<std::pair<std::string, std::string>> parse_merges_json(const large_json& j, const fs::path& file) {
    if (!j.is_array()) fail(file, "model.merges is not an array");
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
        const large_json& m = j[i];
        const std::string where = "model.merges[" + std::to_string(i) + "]";
        if (m.is_string()) {
            const std::string s = m.get<std::string>();
            const std::size_t space = s.find(' ');
            if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
                fail(file, where + " is not two tokens separated by one space");
            merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        } else {
            fail(file, where + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
    }
    return merges;
}

// A token as a config file gives it: a string (special, not normalized) or an AddedToken
// object. Objects default `normalized` to !special, as AddedToken(**obj) does;
// special_tokens_map.json's objects are special by definition.
AddedTokenSpec token_spec(const json& value, const fs::path& file, const std::string& key, bool special) {
    AddedTokenSpec spec;
    if (value.is_string()) {
        spec.content = value.get<std::string>();
        return spec;
    }
    if (!value.is_object() || !value.contains("content") || !value["content"].is_string())
        fail(file, key + " is neither a string nor an object with a string \"content\"");
    spec.content = value["content"].get<std::string>();
    const auto flag = [&](const char* name, bool fallback) {
        if (!value.contains(name)) return fallback;
        if (!value[name].is_boolean()) fail(file, key + "." + name + " is not true/false");
        return value[name].get<bool>();
    };
    special = special || flag("special", false);
    spec.normalized = flag("normalized", !special);
    // CLIP never uses these AddedToken options; refuse rather than tokenize differently.
    for (const char* option : {"lstrip", "rstrip", "single_word"})
        if (flag(option, false))
            fail(file, key + " (\"" + spec.content + "\") sets " + option +
                           ", which samlabel's CLIP tokenizer does not implement");
    return spec;
}

void append_token_list(const json& list, const fs::path& file, const std::string& key, bool special,
                       std::vector<AddedTokenSpec>& out) {
    if (!list.is_array()) fail(file, key + " is not a list");
    for (std::size_t i = 0; i < list.size(); ++i)
        out.push_back(token_spec(list[i], file, key + "[" + std::to_string(i) + "]", special));
}

}  // namespace

std::vector<std::string> missing_tokenizer_files(const fs::path& folder) {
    std::error_code ec;
    if (fs::is_regular_file(folder / "tokenizer.json", ec)) return {};
    const bool vocab = fs::is_regular_file(folder / "vocab.json", ec);
    const bool merges = fs::is_regular_file(folder / "merges.txt", ec);
    if (vocab && merges) return {};
    if (vocab) return {"merges.txt"};
    if (merges) return {"vocab.json"};
    return {"tokenizer.json"};
}

TokenizerFiles read_tokenizer_files(const fs::path& folder) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw TokenizerError(engine::path_to_utf8(folder) + ": no such folder");
    if (!missing_tokenizer_files(folder).empty())
        throw TokenizerError("text prompts need tokenizer.json (or vocab.json + merges.txt) in " + engine::path_to_utf8(folder));

    TokenizerFiles out;
    // Tokens by id: tokenizer_config.json's added_tokens_decoder, else tokenizer.json's added_tokens.
    std::vector<std::pair<std::int64_t, AddedTokenSpec>> by_id;
    std::vector<std::pair<std::int64_t, AddedTokenSpec>> tokenizer_json_added;

    const fs::path tokenizer_json = folder / "tokenizer.json";
    if (fs::is_regular_file(tokenizer_json, ec)) {
        const large_json j = read_json_object<large_json>(tokenizer_json);
        if (!j.contains("model") || !j["model"].is_object()) fail(tokenizer_json, "has no \"model\" object");
        const large_json& model = j["model"];
        if (model.contains("type") && model["type"] != "BPE")
            fail(tokenizer_json, "model.type is " + model["type"].dump() + ", not \"BPE\"");
        if (!model.contains("vocab")) fail(tokenizer_json, "has no model.vocab");
        if (!model.contains("merges")) fail(tokenizer_json, "has no model.merges");
        out.vocab = parse_vocab(model["vocab"], tokenizer_json, "model.vocab");
        out.merges = parse_merges_json(model["merges"], tokenizer_json);
        out.model_file = out.merges_file = tokenizer_json;
        if (j.contains("added_tokens")) {
            const json added = j["added_tokens"];  // small: converted to keep token_spec's one json type
            if (!added.is_array()) fail(tokenizer_json, "added_tokens is not a list");
            for (std::size_t i = 0; i < added.size(); ++i) {
                const std::string key = "added_tokens[" + std::to_string(i) + "]";
                if (!added[i].is_object() || !added[i].contains("id") || !added[i]["id"].is_number_integer())
                    fail(tokenizer_json, key + " has no integer \"id\"");
                tokenizer_json_added.emplace_back(added[i]["id"].get<std::int64_t>(),
                                                  token_spec(added[i], tokenizer_json, key, false));
            }
        }
    } else {
        const fs::path vocab_json = folder / "vocab.json";
        out.vocab = parse_vocab(read_json_object<large_json>(vocab_json), vocab_json, "the vocabulary");
        out.merges_file = folder / "merges.txt";
        out.merges = parse_merges_txt(out.merges_file);
        out.model_file = vocab_json;
    }

    // Named tokens in the order transformers 5.23 registers them: the standard ones, then
    // model-specific "*_token" keys given as AddedToken objects in tokenizer_config.json or
    // found in special_tokens_map.json, then those given as strings in tokenizer_config.json;
    // then the extra special tokens (tokenizer_config.json's lists before special_tokens_map.json's).
    std::vector<std::pair<std::string, std::optional<AddedTokenSpec>>> named;
    for (const char* key : kNamedTokens) named.emplace_back(key, std::nullopt);
    std::vector<std::pair<std::string, AddedTokenSpec>> config_string_tokens;
    const auto named_slot = [&](const std::string& key) -> std::optional<AddedTokenSpec>& {
        for (auto& [k, v] : named)
            if (k == key) return v;
        return named.emplace_back(key, std::nullopt).second;
    };
    const auto is_standard = [](const std::string& key) {
        return std::find(std::begin(kNamedTokens), std::end(kNamedTokens), key) != std::end(kNamedTokens);
    };
    std::vector<AddedTokenSpec> extras;

    const fs::path config_json = folder / "tokenizer_config.json";
    json config = json::object();
    if (fs::is_regular_file(config_json, ec)) config = read_json_object(config_json);
    for (const auto& [key, value] : config.items()) {
        if (key == "additional_special_tokens" || key == "extra_special_tokens") {
            if (value.is_array()) append_token_list(value, config_json, key, false, extras);
            if (value.is_object())
                for (const auto& [name, token] : value.items())
                    if (token.is_string()) config_string_tokens.emplace_back(name, token_spec(token, config_json, key, false));
            continue;
        }
        if (!key.ends_with("_token") || value.is_null()) continue;
        if (is_standard(key) || (value.is_object() && value.value("__type", "") == "AddedToken"))
            named_slot(key) = token_spec(value, config_json, key, false);
        else if (value.is_string())
            config_string_tokens.emplace_back(key, token_spec(value, config_json, key, false));
    }

    if (config.contains("added_tokens_decoder")) {
        const json& decoder = config["added_tokens_decoder"];
        if (!decoder.is_object()) fail(config_json, "added_tokens_decoder is not an object of id -> token");
        for (const auto& [id, token] : decoder.items()) {
            std::int64_t parsed = 0;
            try {
                std::size_t used = 0;
                parsed = std::stoll(id, &used);
                if (used != id.size()) throw std::invalid_argument(id);
            } catch (const std::exception&) {
                fail(config_json, "added_tokens_decoder key \"" + id + "\" is not an integer id");
            }
            by_id.emplace_back(parsed, token_spec(token, config_json, "added_tokens_decoder[" + id + "]", false));
        }
    } else {
        // transformers reads these two only when tokenizer_config.json has no added_tokens_decoder.
        const fs::path map_json = folder / "special_tokens_map.json";
        if (fs::is_regular_file(map_json, ec)) {
            const json map = read_json_object(map_json);
            for (const auto& [key, value] : map.items()) {
                if (key == "additional_special_tokens" || key == "extra_special_tokens") {
                    if (value.is_array()) append_token_list(value, map_json, key, true, extras);
                } else if (key.ends_with("_token") && (value.is_string() || value.is_object())) {
                    named_slot(key) = token_spec(value, map_json, key, true);
                }
            }
        }
        by_id = std::move(tokenizer_json_added);
    }
    std::stable_sort(by_id.begin(), by_id.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    // CLIPTokenizer's defaults; a named token that an id-keyed entry has by content becomes
    // that entry (its flags win), as transformers maps named tokens through added_tokens_decoder.
    const auto apply_default = [&](const char* key, const char* content) {
        auto& slot = named_slot(key);
        if (!slot) slot = AddedTokenSpec{content, false};
    };
    apply_default("bos_token", "<|startoftext|>");
    apply_default("eos_token", "<|endoftext|>");
    apply_default("unk_token", "<|endoftext|>");
    apply_default("pad_token", "<|endoftext|>");
    std::set<std::string> by_id_contents;
    for (const auto& [id, spec] : by_id) by_id_contents.insert(spec.content);
    for (auto& [key, slot] : named) {
        if (!slot || by_id_contents.count(slot->content) == 0) continue;
        for (const auto& [id, spec] : by_id)
            if (spec.content == slot->content) slot = spec;
    }

    // The order TokenizersBackend.__init__ adds them in: id-keyed entries, then named tokens
    // and extras whose content is not among those.
    for (auto& [key, spec] : config_string_tokens) named.emplace_back(key, spec);
    for (auto& [id, spec] : by_id) out.added_tokens.push_back(spec);
    for (const auto& [key, slot] : named)
        if (slot && by_id_contents.count(slot->content) == 0) out.added_tokens.push_back(*slot);
    for (const AddedTokenSpec& spec : extras)
        if (by_id_contents.count(spec.content) == 0) out.added_tokens.push_back(spec);

    out.bos_token = named_slot("bos_token")->content;
    out.eos_token = named_slot("eos_token")->content;
    out.unk_token = named_slot("unk_token")->content;
    out.pad_token = named_slot("pad_token")->content;
    return out;
}

}  // namespace samlabel::engine::text
