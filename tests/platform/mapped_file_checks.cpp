// The memory map and the safetensors reader over it, in a non-ASCII folder
// and past 4 GiB (32-bit offsets, DWORD sizes and `long` are 4 bytes on Windows).
#include "core/engine/mapped_file.h"
#include "core/engine/safetensors_file.h"
#include "core/io/utf8_path.h"
#include "tests/platform/check.h"
#include "tests/platform/test_folder.h"

#include <cstring>
#include <string>

using namespace samlabel;
using namespace samlabel::engine;

namespace {
constexpr std::uint64_t k4GiB = 1ull << 32;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

CHECK_CASE("mapped file: a sparse file past 4 GiB in a non-ASCII folder maps whole") {
    checks::TestFolder folder("mapped");
    const auto path = folder.file("größer als 4 GiB.bin");
    const std::uint64_t marker_at = k4GiB + 4096 + 3;
    const std::uint64_t size = k4GiB + 65536;
    checks::write_sparse_file(path, size, {{marker_at, "samlabel"}});
    MappedFile map(path);
    CHECK_EQ(map.size(), size);
    CHECK(map.data() != nullptr);
    if (map.data()) {
        CHECK(std::memcmp(map.data() + marker_at, "samlabel", 8) == 0);
        CHECK(map.data()[0] == std::byte{0});
        CHECK(map.data()[size - 1] == std::byte{0});
        map.will_need(marker_at, 8);
        map.release(k4GiB, 1 << 20);  // drops pages; they read back the same
        CHECK(std::memcmp(map.data() + marker_at, "samlabel", 8) == 0);
    }
}

CHECK_CASE("mapped file: a missing file is refused naming the file") {
    checks::TestFolder folder("missing");
    const auto path = folder.file("nicht da ☃.safetensors");
    try {
        MappedFile map(path);
        CHECK(!"a missing file must not map");
    } catch (const CheckpointError& e) {
        CHECK(contains(e.what(), io::path_to_utf8(path)));
        CHECK(e.file() == path);
    }
}

CHECK_CASE("mapped file: an empty file maps to nothing") {
    checks::TestFolder folder("empty");
    const auto path = folder.file("leer.bin");
    checks::write_sparse_file(path, 0, {});
    MappedFile map(path);
    CHECK_EQ(map.size(), 0ull);
    CHECK(map.data() == nullptr);
}

CHECK_CASE("safetensors: a tensor ending past 4 GiB is read at its offset") {
    checks::TestFolder folder("safetensors");
    const std::uint64_t tensor_bytes = k4GiB + 16;
    std::string header = R"({"big":{"dtype":"U8","shape":[)" + std::to_string(tensor_bytes) +
                         R"(],"data_offsets":[0,)" + std::to_string(tensor_bytes) + "]}}";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string prefix(8, '\0');
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    const std::string head = prefix + header;
    const std::uint64_t data_start = head.size();
    const auto path = folder.file("modèle 模型.safetensors");
    checks::write_sparse_file(path, data_start + tensor_bytes, {{0, head}, {data_start + tensor_bytes - 8, "TAIL1234"}});

    const auto file = SafetensorsFile::open(path);
    CHECK_EQ(file->file_size(), data_start + tensor_bytes);
    const TensorEntry* big = file->find("big");
    CHECK(big != nullptr);
    if (!big) return;
    const auto bytes = file->bytes(*big);
    CHECK_EQ(static_cast<std::uint64_t>(bytes.size()), tensor_bytes);
    CHECK(std::memcmp(bytes.data() + tensor_bytes - 8, "TAIL1234", 8) == 0);
    file->release(*big, k4GiB, 16);
}

CHECK_CASE("safetensors: a tensor past the end of the file is refused naming file and tensor") {
    checks::TestFolder folder("truncated");
    std::string header = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string prefix(8, '\0');
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    const auto path = folder.file("abgeschnitten ☃.safetensors");
    checks::write_sparse_file(path, prefix.size() + header.size() + 8, {{0, prefix + header}});
    try {
        SafetensorsFile::open(path);
        CHECK(!"a truncated file must be refused");
    } catch (const CheckpointError& e) {
        CHECK(contains(e.what(), io::path_to_utf8(path)));
    }
}
