#include "core/annotation/natural_order.h"

#include <cstddef>

namespace samlabel::annotation {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    // First difference in leading zeros ("img01" vs "img1"), used only if
    // everything else is equal.
    int zeros_tiebreak = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            std::size_t za = i, zb = j;
            while (za < a.size() && a[za] == '0') ++za;
            while (zb < b.size() && b[zb] == '0') ++zb;
            std::size_t ea = za, eb = zb;
            while (ea < a.size() && is_digit(a[ea])) ++ea;
            while (eb < b.size() && is_digit(b[eb])) ++eb;
            // Longer significant digit run = larger number (no overflow for long runs).
            if (ea - za != eb - zb) return ea - za < eb - zb;
            for (std::size_t k = 0; k < ea - za; ++k)
                if (a[za + k] != b[zb + k]) return a[za + k] < b[zb + k];
            if (zeros_tiebreak == 0 && (za - i) != (zb - j)) zeros_tiebreak = (za - i) < (zb - j) ? -1 : 1;
            i = ea;
            j = eb;
            continue;
        }
        const char ca = ascii_lower(a[i]), cb = ascii_lower(b[j]);
        if (ca != cb) return static_cast<unsigned char>(ca) < static_cast<unsigned char>(cb);
        ++i;
        ++j;
    }
    if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
    if (zeros_tiebreak != 0) return zeros_tiebreak < 0;
    return a < b;  // only letter case differs: plain bytes decide
}

}  // namespace samlabel::annotation
