#pragma once
// "Natural" ordering of file names: digit runs compare by value, so img2 sorts
// before img10. Used for the image list and the project file's image order.
#include <string_view>

namespace samlabel::annotation {

// Strict weak ordering: digit runs compare numerically (leading zeros ignored,
// then fewer leading zeros first), other characters case-insensitively (ASCII),
// and a plain byte comparison breaks remaining ties so distinct strings never
// compare equal.
bool natural_less(std::string_view a, std::string_view b);

struct NaturalLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return natural_less(a, b); }
};

}  // namespace samlabel::annotation
