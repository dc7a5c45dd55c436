// samlabel-cli's arguments arrive as UTF-8 (app/cli/utf8_arguments.cpp). On
// Windows (under wine) the checks start themselves again with non-ASCII,
// space-containing arguments through CreateProcessW and read back what the
// child got; elsewhere argv passes through unchanged.
#include "app/cli/utf8_arguments.h"
#include "core/engine/utf8_path.h"
#include "tests/platform/check.h"
#include "tests/platform/test_folder.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif

using namespace samlabel;

namespace samlabel::checks {

// The child's side (main.cpp: `--write-arguments FILE ...`): every argument
// after argv[0], one per line, in UTF-8, into FILE (named in UTF-8 too).
int write_arguments(int argc, char** argv) {
    const std::vector<std::string> args = cli::utf8_arguments(argc, argv);
    if (args.size() < 3) return 2;
    std::ofstream out(engine::path_from_utf8(args[2]), std::ios::binary);
    for (std::size_t i = 1; i < args.size(); ++i) out << args[i] << "\n";
    return out ? 0 : 1;
}

}  // namespace samlabel::checks

namespace {
const std::string kName = "données d'été 数据";
}

CHECK_CASE("utf8 arguments: argv passes through as it came where the command line is not wide") {
    std::string a0 = "samlabel-cli", a1 = "info", a2 = "/tmp/" + kName;
    char* argv[] = {a0.data(), a1.data(), a2.data()};
#ifndef _WIN32
    const std::vector<std::string> got = cli::utf8_arguments(3, argv);
    CHECK_EQ(got.size(), std::size_t(3));
    CHECK(got.size() == 3 && got[2] == a2);
#else
    (void)argv;  // Windows: the wide command line is read (next case)
#endif
}

#ifdef _WIN32
CHECK_CASE("utf8 arguments: a process started with non-ASCII arguments gets them as UTF-8") {
    checks::TestFolder folder("arguments");
    const std::filesystem::path out = folder.file("arguments reçus.txt");
    wchar_t exe[MAX_PATH];
    CHECK(::GetModuleFileNameW(nullptr, exe, MAX_PATH) > 0);
    std::wstring command = L"\"" + std::wstring(exe) + L"\" --write-arguments \"" + out.wstring() + L"\" \"" +
                           engine::path_from_utf8(kName).wstring() + L"\" plain";
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION process{};
    const bool started = ::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &startup, &process);
    CHECK(started);
    if (!started) return;
    ::WaitForSingleObject(process.hProcess, 60000);
    DWORD code = 99;
    ::GetExitCodeProcess(process.hProcess, &code);
    ::CloseHandle(process.hThread);
    ::CloseHandle(process.hProcess);
    CHECK_EQ(int(code), 0);
    const std::string got = checks::read_whole_file(out);
    const std::string expected = "--write-arguments\n" + engine::path_to_utf8(out) + "\n" + kName + "\nplain\n";
    CHECK(got == expected);
    if (got != expected) std::printf("  got:\n%s  expected:\n%s", got.c_str(), expected.c_str());
}
#endif
