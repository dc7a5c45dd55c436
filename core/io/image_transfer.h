#pragma once
// Putting an image file into an export: a byte-for-byte copy or a hard link.
// Never re-encoded, so an EXIF-rotated JPEG keeps its orientation tag and
// Ultralytics / pycocotools users see the same frame our labels are in.
#include <filesystem>
#include <string>

namespace samlabel::io {

enum class TransferOutcome { Linked = 1, Copied, CopiedAfterLinkFailed };

struct TransferResult {
    TransferOutcome outcome = TransferOutcome::Copied;
    std::string link_error;  // why the hard link failed (CopiedAfterLinkFailed)
};

// Replaces `to` if it exists. Falls back to a copy when the hard link fails
// (another filesystem, FAT/exFAT, no permission). Throws
// std::filesystem::filesystem_error when even the copy fails.
TransferResult transfer_image_file(const std::filesystem::path& from, const std::filesystem::path& to, bool hard_link);

}  // namespace samlabel::io
