#pragma once
// UTF-8 <-> std::filesystem::path, the only way user paths cross between
// strings and paths: path::string() and path(std::string) use the ANSI code
// page on Windows and throw (or mangle) outside it. Plain std, no OpenCV, so
// the Windows cross-build tests it too.
#include <filesystem>
#include <string>
#include <string_view>

namespace samlabel::io {

std::string path_to_utf8(const std::filesystem::path& path);
std::filesystem::path path_from_utf8(std::string_view utf8);

}  // namespace samlabel::io
