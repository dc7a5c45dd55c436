// Crash-safe saves in a non-ASCII folder, and on Windows a target that another
// program holds: retried while it is held briefly, then a clear error with the
// previous file intact.
#include "core/annotation/atomic_file.h"
#include "core/io/utf8_path.h"
#include "tests/platform/check.h"
#include "tests/platform/test_folder.h"

#include <chrono>
#include <string>
#include <thread>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#endif

using namespace samlabel;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

CHECK_CASE("atomic file: writes, replaces and keeps the previous version in a non-ASCII folder") {
    checks::TestFolder folder("atomic");
    const auto path = folder.file("projekt ☃.samlabel.json");
    const auto backup = folder.file("projekt ☃.samlabel.json.bak");
    annotation::write_file_atomically(path, "first");
    CHECK(checks::read_whole_file(path) == "first");
    annotation::AtomicWriteOptions options;
    options.keep_previous_as = backup;
    annotation::write_file_atomically(path, "second", options);
    CHECK(checks::read_whole_file(path) == "second");
    CHECK(checks::read_whole_file(backup) == "first");
    CHECK(!std::filesystem::exists(annotation::atomic_temp_path(path)));
}

CHECK_CASE("atomic file: a folder that does not exist is a clear error") {
    checks::TestFolder folder("nofolder");
    const auto path = folder.file("fehlt/datei.json");
    try {
        annotation::write_file_atomically(path, "x");
        CHECK(!"writing into a missing folder must fail");
    } catch (const annotation::AtomicWriteError& e) {
        CHECK(contains(e.what(), io::path_to_utf8(folder.file("fehlt"))));
    }
}

#ifdef _WIN32
namespace {
// Opens the file as a virus scanner does: reading, sharing read and write but
// not delete, so it cannot be renamed over while the handle is open.
HANDLE hold(const std::filesystem::path& path) {
    return ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
}
}  // namespace

CHECK_CASE("atomic file (Windows): a target held for a moment is replaced once it is let go") {
    checks::TestFolder folder("held briefly");
    const auto path = folder.file("gehalten.json");
    annotation::write_file_atomically(path, "old");
    HANDLE held = hold(path);
    CHECK(held != INVALID_HANDLE_VALUE);
    std::jthread scanner([held] {  // joined on every way out, a failed write included
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ::CloseHandle(held);
    });
    annotation::AtomicWriteOptions options;
    options.held_file_retry = std::chrono::milliseconds(5000);
    const auto start = std::chrono::steady_clock::now();
    annotation::write_file_atomically(path, "new", options);
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(checks::read_whole_file(path) == "new");
    CHECK(waited >= std::chrono::milliseconds(250));  // it really had to wait for the handle
    CHECK(!std::filesystem::exists(annotation::atomic_temp_path(path)));
}

CHECK_CASE("atomic file (Windows): a target held too long fails clearly and stays as it was") {
    checks::TestFolder folder("held long");
    const auto path = folder.file("gesperrt ☃.json");
    annotation::write_file_atomically(path, "previous");
    HANDLE held = hold(path);
    CHECK(held != INVALID_HANDLE_VALUE);
    annotation::AtomicWriteOptions options;
    options.held_file_retry = std::chrono::milliseconds(400);
    try {
        annotation::write_file_atomically(path, "lost", options);
        CHECK(!"a held target must make the write fail");
    } catch (const annotation::AtomicWriteError& e) {
        const std::string what = e.what();
        CHECK(contains(what, io::path_to_utf8(path)));
        CHECK(contains(what, "held it for 400 ms"));
        CHECK(contains(what, "the file on disk is unchanged"));
    }
    ::CloseHandle(held);
    CHECK(checks::read_whole_file(path) == "previous");
    CHECK(!std::filesystem::exists(annotation::atomic_temp_path(path)));
}
#endif
