// User paths cross strings as UTF-8 both ways, whatever the ANSI code page.
#include "core/engine/utf8_path.h"
#include "core/io/utf8_path.h"
#include "tests/platform/check.h"
#include "tests/platform/test_folder.h"

#include <fstream>
#include <string>

using namespace samlabel;

CHECK_CASE("utf8 path: non-ASCII names round-trip and reach the file system") {
    checks::TestFolder folder("utf8");
    const std::string name = "Bilder mit Leerzeichen – 画像 ☃ émoji 🙂";
    const auto path = folder.path() / io::path_from_utf8(name);
    std::filesystem::create_directories(path);
    { std::ofstream(path / io::path_from_utf8("bild 1.jpg"), std::ios::binary) << "jpeg"; }
    CHECK(io::path_to_utf8(path.filename()) == name);
    int seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder.path())) {
        ++seen;
        CHECK(io::path_to_utf8(entry.path().filename()) == name);
    }
    CHECK_EQ(seen, 1);
    CHECK(checks::read_whole_file(path / io::path_from_utf8("bild 1.jpg")) == "jpeg");
    // The round trip through UTF-8 gives the same path, byte for byte.
    CHECK(io::path_from_utf8(io::path_to_utf8(path)) == path);
}

CHECK_CASE("utf8 path: the engine's helpers (core/engine/utf8_path.h) agree with core/io's") {
    checks::TestFolder folder("utf8 engine");
    const std::string name = "données d'été 数据";
    const auto path = folder.path() / engine::path_from_utf8(name) / engine::path_from_utf8("model.safetensors");
    CHECK(path == folder.path() / io::path_from_utf8(name) / io::path_from_utf8("model.safetensors"));
    CHECK(engine::path_to_utf8(path) == io::path_to_utf8(path));
    CHECK(engine::path_to_utf8(path.parent_path().filename()) == name);
    std::filesystem::create_directories(path.parent_path());
    { std::ofstream(path, std::ios::binary) << "weights"; }
    CHECK(checks::read_whole_file(io::path_from_utf8(engine::path_to_utf8(path))) == "weights");
    CHECK(engine::path_from_utf8(engine::path_to_utf8(path)) == path);
}
