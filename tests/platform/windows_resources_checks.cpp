// The Windows executable's resources (packaging/windows): the manifest's UTF-8
// code page is in force, so char APIs and argv carry any path; the version
// resource is the project's. Built only where the resources are linked in
// (the cross-built checks define SAMLABEL_EXPECTED_VERSION).
#include "tests/platform/check.h"

#if defined(_WIN32) && defined(SAMLABEL_EXPECTED_VERSION)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <string>
#include <vector>

CHECK_CASE("windows resources: the manifest makes UTF-8 the process's ANSI code page") {
    CHECK_EQ(static_cast<unsigned>(::GetACP()), 65001u);
    // A narrow API now takes UTF-8: a non-ASCII folder made through CreateDirectoryA.
    char temp[MAX_PATH] = {};
    CHECK(::GetTempPathA(MAX_PATH, temp) > 0);
    const std::string folder = std::string(temp) + "samlabel utf8 \xE2\x98\x83 Gr\xC3\xBC\xC3\x9F" "e";
    CHECK(::CreateDirectoryA(folder.c_str(), nullptr) || ::GetLastError() == ERROR_ALREADY_EXISTS);
    const std::wstring wide = std::wstring(L"samlabel utf8 \u2603 Gr\u00fc\u00dfe");
    wchar_t wtemp[MAX_PATH] = {};
    ::GetTempPathW(MAX_PATH, wtemp);
    CHECK(::GetFileAttributesW((std::wstring(wtemp) + wide).c_str()) != INVALID_FILE_ATTRIBUTES);
    ::RemoveDirectoryA(folder.c_str());
}

CHECK_CASE("windows resources: the version resource is the project's version") {
    wchar_t self[MAX_PATH] = {};
    CHECK(::GetModuleFileNameW(nullptr, self, MAX_PATH) > 0);
    DWORD unused = 0;
    const DWORD size = ::GetFileVersionInfoSizeW(self, &unused);
    CHECK(size > 0);
    if (size == 0) return;
    std::vector<char> block(size);
    CHECK(::GetFileVersionInfoW(self, 0, size, block.data()));
    wchar_t* text = nullptr;
    UINT length = 0;
    CHECK(::VerQueryValueW(block.data(), L"\\StringFileInfo\\040904B0\\ProductVersion", reinterpret_cast<void**>(&text), &length));
    if (!text) return;
    const std::wstring version(text, length ? length - 1 : 0);
    const std::string expected = SAMLABEL_EXPECTED_VERSION;
    CHECK(version == std::wstring(expected.begin(), expected.end()));
}
#endif
