#include "core/io/export_image_transfer.h"

#include "core/io/image_transfer.h"
#include "core/io/utf8_path.h"

#include <stdexcept>

namespace samlabel::io {

void ExportImageTransfer::put(const std::filesystem::path& from, const std::filesystem::path& to) {
    TransferResult t;
    try {
        t = transfer_image_file(from, to, mode_ == ImageTransfer::HardLink);
    } catch (const std::filesystem::filesystem_error& e) {
        // filesystem_error's own text ("filesystem error: cannot copy file: ...") hides which side failed.
        throw std::runtime_error(path_to_utf8(to) + ": cannot copy the image " + path_to_utf8(from) + " there: " +
                                 e.code().message());
    }
    if (t.outcome == TransferOutcome::Linked) ++report_.image_files_linked;
    else ++report_.image_files_copied;
    if (t.outcome == TransferOutcome::CopiedAfterLinkFailed && first_link_error_.empty()) first_link_error_ = t.link_error;
}

void ExportImageTransfer::warn_if_links_refused() const {
    if (!first_link_error_.empty())
        report_.warn("hard links were refused (" + first_link_error_ + "); those images were copied instead");
}

}  // namespace samlabel::io
