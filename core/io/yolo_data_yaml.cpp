#include "core/io/yolo_data_yaml.h"

#include <charconv>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace samlabel::io {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

[[noreturn]] void fail(const std::string& source, int line, const std::string& what) {
    throw std::runtime_error(source + ": line " + std::to_string(line) + ": " + what);
}

// Parses one scalar starting at s[pos]; stops at `stop` chars (outside quotes)
// or at an unquoted " #" comment. Advances pos.
std::string parse_scalar(std::string_view s, std::size_t& pos, std::string_view stop, const std::string& source,
                         int line) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
    std::string out;
    if (pos < s.size() && (s[pos] == '"' || s[pos] == '\'')) {
        const char q = s[pos++];
        while (true) {
            if (pos >= s.size()) fail(source, line, "unterminated quoted string");
            const char c = s[pos++];
            if (q == '\'' && c == '\'') {
                if (pos < s.size() && s[pos] == '\'') {  // '' is an escaped quote
                    out += '\'';
                    ++pos;
                    continue;
                }
                break;
            }
            if (q == '"' && c == '"') break;
            if (q == '"' && c == '\\') {
                if (pos >= s.size()) fail(source, line, "dangling escape");
                const char e = s[pos++];
                switch (e) {
                    case 'n': out += '\n'; break;
                    case 't': out += '\t'; break;
                    case '\\': out += '\\'; break;
                    case '"': out += '"'; break;
                    case '/': out += '/'; break;
                    case '0': out += '\0'; break;
                    case 'x':
                    case 'u':
                    case 'U': {
                        const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        if (pos + n > s.size()) fail(source, line, "short \\" + std::string(1, e) + " escape");
                        unsigned cp = 0;
                        if (std::from_chars(s.data() + pos, s.data() + pos + n, cp, 16).ptr != s.data() + pos + n)
                            fail(source, line, "bad \\" + std::string(1, e) + " escape");
                        pos += n;
                        // UTF-8 encode
                        if (cp < 0x80) out += static_cast<char>(cp);
                        else if (cp < 0x800) {
                            out += static_cast<char>(0xc0 | (cp >> 6));
                            out += static_cast<char>(0x80 | (cp & 0x3f));
                        } else if (cp < 0x10000) {
                            out += static_cast<char>(0xe0 | (cp >> 12));
                            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                            out += static_cast<char>(0x80 | (cp & 0x3f));
                        } else {
                            out += static_cast<char>(0xf0 | (cp >> 18));
                            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
                            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                            out += static_cast<char>(0x80 | (cp & 0x3f));
                        }
                        break;
                    }
                    default: fail(source, line, std::string("unsupported escape \\") + e);
                }
                continue;
            }
            out += c;
        }
        return out;
    }
    const std::size_t start = pos;
    while (pos < s.size() && stop.find(s[pos]) == std::string_view::npos &&
           !(s[pos] == '#' && pos > start && (s[pos - 1] == ' ' || s[pos - 1] == '\t')))
        ++pos;
    return std::string(trim(s.substr(start, pos - start)));
}

std::string strip_comment_tail(std::string_view rest, std::size_t pos, const std::string& source, int line) {
    while (pos < rest.size() && (rest[pos] == ' ' || rest[pos] == '\t' || rest[pos] == '\r')) ++pos;
    if (pos < rest.size() && rest[pos] != '#') fail(source, line, "unexpected text after value");
    return {};
}

int parse_index(std::string_view key, const std::string& source, int line) {
    int id = -1;
    const auto r = std::from_chars(key.data(), key.data() + key.size(), id);
    if (r.ec != std::errc() || r.ptr != key.data() + key.size() || id < 0)
        fail(source, line, "names key '" + std::string(key) + "' is not a class index");
    return id;
}

}  // namespace

std::string yaml_quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += static_cast<char>(c);
    }
    return out + "\"";
}

void write_data_yaml(const YoloDataYaml& data, std::ostream& out) {
    out << "# Written by samlabel. Class ids are dense (0..n-1) in the project's class order;\n"
        << "# class_map.json maps them to the project's stable class ids.\n";
    out << "path: " << yaml_quote(data.path) << "\n";
    for (const char* split : {"train", "val", "test"}) {
        const auto it = data.splits.find(split);
        if (it != data.splits.end()) out << split << ": " << yaml_quote(it->second) << "\n";
    }
    out << "names:\n";
    for (std::size_t i = 0; i < data.names.size(); ++i) out << "  " << i << ": " << yaml_quote(data.names[i]) << "\n";
}

YoloDataYaml parse_data_yaml(std::string_view text, const std::string& source) {
    YoloDataYaml data;
    std::map<int, std::string> name_map;
    std::vector<std::string> name_list;
    enum class Block { None, Names, Other } block = Block::None;
    bool names_seen = false;
    long long nc = -1;
    int line_no = 0;
    std::size_t start = 0;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") start = 3;  // UTF-8 BOM
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view raw = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        const std::string_view t = trim(raw);
        if (t.empty() || t.front() == '#' || t == "---") {
            if (end == text.size()) break;
            continue;
        }
        const bool indented = raw.front() == ' ' || raw.front() == '\t';
        if (indented || t.front() == '-') {
            if (block == Block::Names) {
                if (t.front() == '-') {
                    std::size_t pos = 1;
                    std::string v = parse_scalar(t, pos, "", source, line_no);
                    strip_comment_tail(t, pos, source, line_no);
                    name_list.push_back(std::move(v));
                } else {
                    std::size_t pos = 0;
                    const std::string key = parse_scalar(t, pos, ":", source, line_no);
                    if (pos >= t.size() || t[pos] != ':') fail(source, line_no, "expected 'index: name' under names");
                    ++pos;
                    std::string v = parse_scalar(t, pos, "", source, line_no);
                    strip_comment_tail(t, pos, source, line_no);
                    const int id = parse_index(key, source, line_no);
                    if (!name_map.emplace(id, std::move(v)).second)
                        fail(source, line_no, "class index " + key + " listed twice");
                }
            }
            // Nested blocks of other keys (download scripts, kpt_shape...) are ignored.
            if (end == text.size()) break;
            continue;
        }
        std::size_t pos = 0;
        const std::string key = parse_scalar(t, pos, ":", source, line_no);
        if (pos >= t.size() || t[pos] != ':') fail(source, line_no, "expected 'key: value'");
        ++pos;
        std::size_t probe = pos;
        while (probe < t.size() && (t[probe] == ' ' || t[probe] == '\t')) ++probe;
        const bool empty_value = probe >= t.size() || t[probe] == '#';
        block = Block::Other;
        if (key == "names") {
            if (names_seen) fail(source, line_no, "names given twice");
            names_seen = true;
            if (empty_value) {
                block = Block::Names;
            } else if (t[probe] == '[') {
                pos = probe + 1;
                while (true) {
                    while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\t')) ++pos;
                    if (pos < t.size() && t[pos] == ']') break;
                    name_list.push_back(parse_scalar(t, pos, ",]", source, line_no));
                    if (pos >= t.size()) fail(source, line_no, "unterminated names list (multi-line inline lists are not supported)");
                    if (t[pos] == ',') ++pos;
                }
                strip_comment_tail(t, pos + 1, source, line_no);
            } else if (t[probe] == '{') {
                pos = probe + 1;
                while (true) {
                    while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\t')) ++pos;
                    if (pos < t.size() && t[pos] == '}') break;
                    const std::string k = parse_scalar(t, pos, ":,}", source, line_no);
                    if (pos >= t.size() || t[pos] != ':') fail(source, line_no, "expected 'index: name' in names map");
                    ++pos;
                    std::string v = parse_scalar(t, pos, ",}", source, line_no);
                    if (!name_map.emplace(parse_index(k, source, line_no), std::move(v)).second)
                        fail(source, line_no, "class index " + k + " listed twice");
                    if (pos >= t.size()) fail(source, line_no, "unterminated names map");
                    if (t[pos] == ',') ++pos;
                }
                strip_comment_tail(t, pos + 1, source, line_no);
            } else {
                fail(source, line_no, "names must be a list or an index: name map");
            }
        } else if (!empty_value) {
            std::string v = parse_scalar(t, pos, "", source, line_no);
            if (key == "path") data.path = v;
            else if (key == "train" || key == "val" || key == "test") data.splits[key] = v;
            else if (key == "nc") {
                if (std::from_chars(v.data(), v.data() + v.size(), nc).ptr != v.data() + v.size() || nc < 0)
                    fail(source, line_no, "nc '" + v + "' is not a count");
                // nc alone makes that many placeholder names: a corrupt count must not
                // allocate without bound (found by fuzz_data_yaml).
                if (nc > kMaxDataYamlClasses)
                    fail(source, line_no, "nc " + v + " is more than the " + std::to_string(kMaxDataYamlClasses) +
                                              " classes a dataset may have");
            }
        }
        if (end == text.size()) break;
    }
    if (!name_map.empty() && !name_list.empty()) fail(source, line_no, "names mixes list items and index: name entries");
    if (!name_map.empty()) {
        int expected = 0;
        for (auto& [id, name] : name_map) {
            if (id != expected)
                throw std::runtime_error(source + ": names has no entry for class index " + std::to_string(expected));
            data.names.push_back(std::move(name));
            ++expected;
        }
    } else {
        data.names = std::move(name_list);
    }
    if (nc >= 0 && names_seen && static_cast<std::size_t>(nc) != data.names.size())
        throw std::runtime_error(source + ": nc is " + std::to_string(nc) + " but names lists " +
                                 std::to_string(data.names.size()) + " classes");
    if (nc >= 0 && !names_seen)
        for (long long i = 0; i < nc; ++i) data.names.push_back("class_" + std::to_string(i));
    if (data.names.empty()) throw std::runtime_error(source + ": no class names (names or nc required)");
    return data;
}

}  // namespace samlabel::io
