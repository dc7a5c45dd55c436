#pragma once
// samlabel-cli's command line as UTF-8 on every platform. On Windows argv is in
// the ANSI code page, which is UTF-8 only where samlabel's manifest
// (activeCodePage UTF-8, packaging/windows/samlabel.manifest) takes effect
// (Windows 10 1903+); this reads the wide command line instead, so a folder
// such as "données d'été 数据" reaches the commands intact on any Windows.
// Elsewhere argv is the bytes the shell passed (UTF-8 under a UTF-8 locale).
// Plain std (+ Win32): the platform checks run it under wine (tests/platform).
#include <string>
#include <vector>

namespace samlabel::cli {

// argv[0..argc) as UTF-8 strings (on Windows from CommandLineToArgvW; argv
// itself if the two disagree in count).
std::vector<std::string> utf8_arguments(int argc, char** argv);

}  // namespace samlabel::cli
