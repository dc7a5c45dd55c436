#pragma once
// UTF-8 <-> std::filesystem::path for the engine: the only way a user path
// (a checkpoint folder, a cache folder, a file named in an error message)
// crosses between std::string and std::filesystem::path in core/engine.
// path::string() and path(std::string) use the ANSI code page on Windows and
// throw (or mangle) outside it; these go through char8_t, which is UTF-8 on
// every platform.
//
// The engine may not depend on core/io, which has the same two functions
// (core/io/utf8_path.h) for the layers above; they are two lines each, so the
// engine keeps its own header-only copy rather than a shared library target.
// tests/platform/utf8_path_checks.cpp checks that both agree, natively and
// under wine. Plain std: torch-free, Qt-free.
#include <filesystem>
#include <string>
#include <string_view>

namespace samlabel::engine {

inline std::string path_to_utf8(const std::filesystem::path& path) {
    const std::u8string s = path.u8string();
    return std::string(s.begin(), s.end());
}

inline std::filesystem::path path_from_utf8(std::string_view utf8) {
    return std::filesystem::path(std::u8string(utf8.begin(), utf8.end()));
}

}  // namespace samlabel::engine
