#pragma once
// The image files of one export: each copied or hard-linked (image_transfer.h)
// and counted in the report; a refused hard link falls back to a copy and is
// warned about once per export, not once per image.
#include "core/io/export_options.h"
#include "core/io/export_report.h"

#include <filesystem>
#include <string>

namespace samlabel::io {

class ExportImageTransfer {
public:
    ExportImageTransfer(ImageTransfer mode, ExportReport& report) : mode_(mode), report_(report) {}

    bool enabled() const { return mode_ != ImageTransfer::None; }

    // Copies or links `from` to `to`; `to`'s folder must exist. Throws
    // std::runtime_error ("<to>: cannot copy the image <from> there: <reason>")
    // when even the copy fails.
    void put(const std::filesystem::path& from, const std::filesystem::path& to);

    // Adds the report's warning when a hard link was refused; call once, at the end.
    void warn_if_links_refused() const;

private:
    ImageTransfer mode_;
    ExportReport& report_;
    std::string first_link_error_;
};

}  // namespace samlabel::io
