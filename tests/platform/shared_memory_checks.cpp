// Shared memory regions (core/engine/platform/shared_memory_region.h): what
// the model process writes, the reader sees in place; names are random, only
// samlabel's are opened, and none is left behind.
#include "core/engine/platform/shared_memory_region.h"
#include "tests/platform/check.h"

#include <cstring>
#include <string>

using namespace samlabel;
using namespace samlabel::engine;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
constexpr std::size_t kBytes = 4u << 20;
}  // namespace

CHECK_CASE("shared memory: the reader sees the creator's bytes, later ones too") {
    std::string error;
    auto writer = SharedMemoryRegion::create(kBytes, &error);
    CHECK(writer != nullptr);
    if (!writer) return std::printf("  %s\n", error.c_str()), void();
    CHECK(SharedMemoryRegion::is_region_name(writer->name()));
#ifndef _WIN32
    CHECK(writer->name().size() <= 31);  // macOS's limit for a POSIX shared memory name (PSHMNAMLEN)
#endif
    CHECK_EQ(writer->size(), kBytes);
    std::memcpy(writer->data(), "first", 5);
    std::memcpy(writer->data() + kBytes - 4, "last", 4);
    auto reader = SharedMemoryRegion::open_and_unlink(writer->name(), kBytes, &error);
    CHECK(reader != nullptr);
    if (!reader) return std::printf("  %s\n", error.c_str()), void();
    CHECK(reader->data() != writer->data());  // a second mapping of the same pages
    CHECK(std::memcmp(reader->data(), "first", 5) == 0);
    CHECK(std::memcmp(reader->data() + kBytes - 4, "last", 4) == 0);
    std::memcpy(writer->data() + 1000, "after", 5);  // written after the reader mapped it
    CHECK(std::memcmp(reader->data() + 1000, "after", 5) == 0);
}

CHECK_CASE("shared memory: two regions never share a name") {
    std::string error;
    auto a = SharedMemoryRegion::create(4096, &error);
    auto b = SharedMemoryRegion::create(4096, &error);
    CHECK(a && b);
    if (a && b) CHECK(a->name() != b->name());
}

CHECK_CASE("shared memory: nothing is left once both ends close, or the reader never came") {
    std::string error;
    std::string name;
    {
        auto writer = SharedMemoryRegion::create(kBytes, &error);
        CHECK(writer != nullptr);
        if (!writer) return;
        name = writer->name();
        auto reader = SharedMemoryRegion::open_and_unlink(name, kBytes, &error);
        CHECK(reader != nullptr);
#ifndef _WIN32
        // POSIX: the reader removed the name as soon as it mapped the region.
        CHECK(SharedMemoryRegion::open_and_unlink(name, kBytes, &error) == nullptr);
#endif
    }
    CHECK(SharedMemoryRegion::open_and_unlink(name, kBytes, &error) == nullptr);
    {
        auto lonely = SharedMemoryRegion::create(kBytes, &error);
        CHECK(lonely != nullptr);
        if (!lonely) return;
        name = lonely->name();
    }
    error.clear();
    CHECK(SharedMemoryRegion::open_and_unlink(name, kBytes, &error) == nullptr);
    CHECK(contains(error, "cannot open") && contains(error, name));
}

CHECK_CASE("shared memory: the reader refuses other names and a region shorter than announced") {
    std::string error;
    for (const std::string bad : {std::string("/etc/passwd"), std::string("samlabel-answers-0123"),
                                  std::string("/samlabel-answers-0123456789AB"), std::string("Local\\samlabel-answers-zz23456789ab"),
                                  std::string("/samlabel-answers-0123456789abc"),
                                  std::string()}) {
        error.clear();
        CHECK(SharedMemoryRegion::open_and_unlink(bad, 4096, &error) == nullptr);
        CHECK(contains(error, "not a samlabel region's name"));
    }
    auto writer = SharedMemoryRegion::create(1u << 20, &error);
    CHECK(writer != nullptr);
    if (!writer) return;
    error.clear();
    CHECK(SharedMemoryRegion::open_and_unlink(writer->name(), 64u << 20, &error) == nullptr);
    CHECK(contains(error, "shorter than") && contains(error, writer->name()));
}
