#include "app/cli/utf8_arguments.h"

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <shellapi.h>
#endif

namespace samlabel::cli {

std::vector<std::string> utf8_arguments(int argc, char** argv) {
#ifdef _WIN32
    int count = 0;
    if (wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count)) {
        std::vector<std::string> out;
        for (int i = 0; i < count; ++i) {
            const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, nullptr, 0, nullptr, nullptr);
            std::string s(n > 1 ? std::size_t(n - 1) : 0, '\0');
            if (n > 1) ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, s.data(), n, nullptr, nullptr);
            out.push_back(std::move(s));
        }
        ::LocalFree(wide);
        if (out.size() == std::size_t(argc)) return out;
    }
#endif
    return std::vector<std::string>(argv, argv + argc);
}

}  // namespace samlabel::cli
