#include "core/io/image_transfer.h"

#include <system_error>

namespace samlabel::io {

TransferResult transfer_image_file(const std::filesystem::path& from, const std::filesystem::path& to, bool hard_link) {
    namespace fs = std::filesystem;
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
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    return result;
}

}  // namespace samlabel::io
