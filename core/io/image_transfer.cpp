#include "core/io/image_transfer.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <vector>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;

std::FILE* open_file(const fs::path& p, bool write) {
#ifdef _WIN32
    return _wfopen(p.c_str(), write ? L"wb" : L"rb");
#else
    return std::fopen(p.c_str(), write ? "wb" : "rb");
#endif
}

[[noreturn]] void fail(const char* what, int err, const fs::path& from, const fs::path& to) {
    throw fs::filesystem_error(what, from, to, std::error_code(err ? err : EIO, std::generic_category()));
}

// A plain read/write copy: std::filesystem::copy_file turns a write that the
// disk cut short (a full disk, a file size limit) into "Input/output error";
// this keeps the OS's own reason for the message.
void copy_bytes(const fs::path& from, const fs::path& to) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(open_file(from, false), &std::fclose);
    if (!in) fail("cannot open the image", errno, from, to);
    std::FILE* out = open_file(to, true);
    if (!out) fail("cannot create the copy", errno, from, to);
    std::vector<char> buffer(1 << 20);
    for (;;) {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in.get());
        if (n > 0) {
            errno = 0;
            if (std::fwrite(buffer.data(), 1, n, out) != n) {
                const int err = errno;
                std::fclose(out);
                fail("cannot write the copy", err, from, to);
            }
        }
        if (n < buffer.size()) {
            if (std::ferror(in.get())) {
                const int err = errno;
                std::fclose(out);
                fail("cannot read the image", err, from, to);
            }
            break;
        }
    }
    errno = 0;
    if (std::fclose(out) != 0) fail("cannot write the copy", errno, from, to);
}

}  // namespace

TransferResult transfer_image_file(const fs::path& from, const fs::path& to, bool hard_link) {
    TransferResult result;
    std::error_code ec;
    fs::remove(to, ec);  // a stale link from a previous export must not be written through
    if (hard_link) {
        fs::create_hard_link(from, to, ec);
        if (!ec) {
            result.outcome = TransferOutcome::Linked;
            return result;
        }
        result.outcome = TransferOutcome::CopiedAfterLinkFailed;
        result.link_error = ec.message();
    }
    copy_bytes(from, to);
    return result;
}

}  // namespace samlabel::io
