#include "core/engine/sam3/text/byte_level.h"

#include "core/engine/sam3/text/utf8.h"

namespace samlabel::engine::text {

const std::array<std::string, 256>& byte_level_symbols() {
    static const std::array<std::string, 256> symbols = [] {
        std::array<std::string, 256> table;
        char32_t next_unprintable = 0x100;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            append_utf8(table[b], printable ? static_cast<char32_t>(b) : next_unprintable++);
        }
        return table;
    }();
    return symbols;
}

}  // namespace samlabel::engine::text
