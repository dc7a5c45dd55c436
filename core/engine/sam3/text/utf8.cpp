#include "core/engine/sam3/text/utf8.h"

#include <cstdio>
#include <stdexcept>

namespace samlabel::engine::text {

namespace {

[[noreturn]] void fail(std::size_t offset, unsigned char byte, const char* problem) {
    char prefix[64];
    std::snprintf(prefix, sizeof prefix, "invalid UTF-8 at byte %zu (0x%02X): ", offset, static_cast<unsigned>(byte));
    throw std::invalid_argument(std::string(prefix) + problem);
}

}  // namespace

std::u32string decode_utf8(std::string_view utf8) {
    std::u32string out;
    out.reserve(utf8.size());
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        if (lead < 0x80) {
            out.push_back(lead);
            ++i;
            continue;
        }
        std::size_t length = 0;
        char32_t cp = 0;
        char32_t smallest = 0;  // below this the sequence is an overlong form
        if ((lead & 0xE0) == 0xC0) {
            length = 2, cp = lead & 0x1F, smallest = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3, cp = lead & 0x0F, smallest = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4, cp = lead & 0x07, smallest = 0x10000;
        } else {
            fail(i, lead, (lead & 0xC0) == 0x80 ? "continuation byte without a lead byte" : "not a UTF-8 lead byte");
        }
        for (std::size_t k = 1; k < length; ++k) {
            if (i + k >= utf8.size()) fail(i, lead, "truncated sequence");
            const auto next = static_cast<unsigned char>(utf8[i + k]);
            if ((next & 0xC0) != 0x80) fail(i, lead, "truncated sequence");
            cp = (cp << 6) | (next & 0x3F);
        }
        if (cp < smallest) fail(i, lead, "overlong encoding");
        if (cp > 0x10FFFF) fail(i, lead, "beyond U+10FFFF");
        if (cp >= 0xD800 && cp <= 0xDFFF) fail(i, lead, "encodes a UTF-16 surrogate");
        out.push_back(cp);
        i += length;
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encode_utf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : text) append_utf8(out, cp);
    return out;
}

}  // namespace samlabel::engine::text
