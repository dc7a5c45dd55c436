#include "core/engine/platform/shared_memory_region.h"

#include <cctype>
#include <random>

namespace samlabel::engine {

namespace {
#ifdef _WIN32
constexpr const char* kPrefix = "Local\\samlabel-answers-";
#else
constexpr const char* kPrefix = "/samlabel-answers-";  // POSIX shm names start with one slash; macOS allows 31 characters
#endif
// 48 random bits: the whole POSIX name stays within macOS's 31 characters.
constexpr std::size_t kHexDigits = 12;
}  // namespace

bool SharedMemoryRegion::is_region_name(const std::string& name) {
    const std::string prefix = kPrefix;
    if (name.size() != prefix.size() + kHexDigits || name.compare(0, prefix.size(), prefix) != 0) return false;
    for (std::size_t i = prefix.size(); i < name.size(); ++i)
        if (!std::isxdigit(static_cast<unsigned char>(name[i])) || std::isupper(static_cast<unsigned char>(name[i]))) return false;
    return true;
}

// Random: no other program guesses the name to take it first (create()
// would refuse it, O_EXCL / ERROR_ALREADY_EXISTS, but samlabel would lose its shared answers).
std::string SharedMemoryRegion::fresh_name() {
    std::random_device device;
    const std::uint64_t value = (std::uint64_t(device()) << 32) ^ device();
    static const char digits[] = "0123456789abcdef";
    std::string name = kPrefix;
    for (int shift = 4 * int(kHexDigits) - 4; shift >= 0; shift -= 4) name += digits[(value >> shift) & 0xf];
    return name;
}

std::unique_ptr<SharedMemoryRegion> SharedMemoryRegion::open_and_unlink(const std::string& name, std::size_t bytes,
                                                                        std::string* error) {
    if (!is_region_name(name)) {
        if (error) *error = "shared memory: \"" + name + "\" is not a samlabel region's name";
        return nullptr;
    }
    return open_mapped(name, bytes, error);
}

}  // namespace samlabel::engine
