#pragma once
// A minimal test harness for the platform layer's checks: they also run
// cross-compiled for Windows under wine, where Qt Test is not available.
// Prints each failure with its line and ends with "N passed, N failed".
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace samlabel::checks {

struct Registry {
    struct Case {
        const char* name;
        std::function<void()> body;
    };
    std::vector<Case> cases;
    int failures_in_case = 0;
    static Registry& get() {
        static Registry registry;
        return registry;
    }
};

struct Register {
    Register(const char* name, std::function<void()> body) { Registry::get().cases.push_back({name, std::move(body)}); }
};

inline void fail(const char* file, int line, const std::string& what) {
    std::printf("  FAIL %s:%d: %s\n", file, line, what.c_str());
    std::fflush(stdout);
    ++Registry::get().failures_in_case;
}

// Runs every case (or those whose name contains filter); returns the exit code.
inline int run_all(const char* filter) {
    int passed = 0, failed = 0;
    for (const auto& c : Registry::get().cases) {
        if (filter && std::string(c.name).find(filter) == std::string::npos) continue;
        Registry::get().failures_in_case = 0;
        try {
            c.body();
        } catch (const std::exception& e) {
            fail(c.name, 0, std::string("unexpected exception: ") + e.what());
        }
        const bool ok = Registry::get().failures_in_case == 0;
        std::printf("%s %s\n", ok ? "PASS" : "FAIL", c.name);
        std::fflush(stdout);
        (ok ? passed : failed) += 1;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace samlabel::checks

#define SAMLABEL_CAT2(a, b) a##b
#define SAMLABEL_CAT(a, b) SAMLABEL_CAT2(a, b)
#define CHECK_CASE(name)                                                                                    \
    static void SAMLABEL_CAT(check_case_, __LINE__)();                                                      \
    static const ::samlabel::checks::Register SAMLABEL_CAT(check_register_, __LINE__)(name,                 \
                                                                                       SAMLABEL_CAT(check_case_, __LINE__)); \
    static void SAMLABEL_CAT(check_case_, __LINE__)()
#define CHECK(condition)                                                                    \
    do {                                                                                    \
        if (!(condition)) ::samlabel::checks::fail(__FILE__, __LINE__, "CHECK(" #condition ")"); \
    } while (0)
#define CHECK_EQ(actual, expected)                                                                              \
    do {                                                                                                        \
        const auto& a_ = (actual);                                                                              \
        const auto& e_ = (expected);                                                                            \
        if (!(a_ == e_))                                                                                        \
            ::samlabel::checks::fail(__FILE__, __LINE__,                                                        \
                                     #actual " == " #expected ": got " + std::to_string(a_) + ", expected " +  \
                                         std::to_string(e_));                                                   \
    } while (0)
