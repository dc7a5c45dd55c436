#include "core/engine/sam3/text/clip_unicode.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace samlabel::engine::text {

namespace {

// Row types of the generated tables; every table is sorted by its first column(s).
struct ClassRange {
    char32_t first, last;
    CharClass cls;
};
constexpr CharClass kL = CharClass::Letter, kN = CharClass::Number, kS = CharClass::Space;
struct LowerRun {  // first, first + stride, ... <= last map to cp + delta
    char32_t first, last;
    std::uint8_t stride;
    std::int32_t delta;
};
struct LowerExpansion {
    char32_t cp;
    char32_t seq[3];  // zero-terminated when shorter
};
struct CombiningRange {
    char32_t first, last;
    std::uint8_t ccc;
};
struct Decomposition {  // single level; second == 0 for a singleton
    char32_t cp, first, second;
};
struct Composition {
    char32_t first, second, composite;
};

#include "core/engine/sam3/text/clip_unicode_tables.inc"

// Hangul syllables compose and decompose algorithmically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

// The row of a range table holding cp, or nullptr.
template <typename Row, std::size_t N>
const Row* find_range(const Row (&table)[N], char32_t cp) {
    const Row* it = std::upper_bound(std::begin(table), std::end(table), cp,
                                     [](char32_t value, const Row& row) { return value < row.first; });
    if (it == std::begin(table)) return nullptr;
    --it;
    return cp <= it->last ? it : nullptr;
}

std::uint8_t combining_class(char32_t cp) {
    if (cp < kNfcQuickCheckBelow) return 0;
    const CombiningRange* row = find_range(kCombiningRanges, cp);
    return row ? row->ccc : 0;
}

void decompose(char32_t cp, std::u32string& out) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
        const char32_t s = cp - kSBase;
        out.push_back(kLBase + s / kNCount);
        out.push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount) out.push_back(kTBase + s % kTCount);
        return;
    }
    const Decomposition* it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                                               [](const Decomposition& row, char32_t value) { return row.cp < value; });
    if (it == std::end(kDecompositions) || it->cp != cp) {
        out.push_back(cp);
        return;
    }
    decompose(it->first, out);
    if (it->second) decompose(it->second, out);
}

// The primary composite of a pair, or 0.
char32_t compose(char32_t first, char32_t second) {
    if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount)
        return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
    if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 && second > kTBase &&
        second < kTBase + kTCount)
        return first + (second - kTBase);
    const Composition* it = std::lower_bound(
        std::begin(kCompositions), std::end(kCompositions), std::pair{first, second},
        [](const Composition& row, const std::pair<char32_t, char32_t>& key) {
            return row.first != key.first ? row.first < key.first : row.second < key.second;
        });
    if (it != std::end(kCompositions) && it->first == first && it->second == second) return it->composite;
    return 0;
}

}  // namespace

CharClass char_class(char32_t cp) {
    const ClassRange* row = find_range(kClassRanges, cp);
    return row ? row->cls : CharClass::Other;
}

void append_lowercase(char32_t cp, std::u32string& out) {
    if (cp < 0x80) {
        out.push_back(cp >= U'A' && cp <= U'Z' ? cp + 32 : cp);
        return;
    }
    if (const LowerRun* run = find_range(kLowerRuns, cp); run && (cp - run->first) % run->stride == 0) {
        out.push_back(static_cast<char32_t>(static_cast<std::int64_t>(cp) + run->delta));
        return;
    }
    for (const LowerExpansion& e : kLowerExpansions) {
        if (e.cp != cp) continue;
        for (char32_t c : e.seq)
            if (c) out.push_back(c);
        return;
    }
    out.push_back(cp);
}

std::u32string nfc(std::u32string_view text) {
    if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c < kNfcQuickCheckBelow; }))
        return std::u32string(text);

    std::u32string chars;
    chars.reserve(text.size() + 8);
    for (char32_t cp : text) decompose(cp, chars);
    std::vector<std::uint8_t> ccc(chars.size());
    for (std::size_t i = 0; i < chars.size(); ++i) ccc[i] = combining_class(chars[i]);

    // Canonical ordering: a stable sort by class of every run of non-starters (runs are short).
    for (std::size_t i = 1; i < chars.size(); ++i) {
        if (ccc[i] == 0) continue;
        for (std::size_t j = i; j > 0 && ccc[j - 1] > ccc[j]; --j) {
            std::swap(chars[j - 1], chars[j]);
            std::swap(ccc[j - 1], ccc[j]);
        }
    }

    // Canonical composition: a character joins the last starter unless something between
    // them blocks it (a starter, or a mark of the same or a higher class).
    std::u32string out;
    out.reserve(chars.size());
    std::size_t starter = 0;
    bool have_starter = false;
    std::uint8_t last_ccc = 0;
    for (std::size_t i = 0; i < chars.size(); ++i) {
        const char32_t c = chars[i];
        const std::uint8_t k = ccc[i];
        if (have_starter) {
            const bool adjacent = out.size() == starter + 1;
            if (adjacent || (last_ccc != 0 && last_ccc < k)) {
                if (const char32_t composite = compose(out[starter], c)) {
                    out[starter] = composite;
                    continue;
                }
            }
        }
        if (k == 0) {
            starter = out.size();
            have_starter = true;
        }
        last_ccc = k;
        out.push_back(c);
    }
    return out;
}

std::u32string clip_normalize(std::u32string_view text) {
    const std::u32string composed = nfc(text);
    std::u32string out;
    out.reserve(composed.size());
    bool in_space = false;
    for (char32_t c : composed) {
        if (char_class(c) == CharClass::Space) {
            if (!in_space) out.push_back(U' ');
            in_space = true;
            continue;
        }
        in_space = false;
        append_lowercase(c, out);
    }
    return out;
}

}  // namespace samlabel::engine::text
