#include "core/io/export_staging.h"

#include "core/io/export_directory.h"
#include "core/io/utf8_path.h"

#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace samlabel::io {
namespace fs = std::filesystem;

ExportStaging::ExportStaging(const fs::path& output_dir) : output_dir_(output_dir) {
    const std::string out_name = path_to_utf8(output_dir);
    std::error_code ec;
    fs::create_directories(output_dir, ec);
    if (ec) throw std::runtime_error(out_name + ": cannot create the output folder: " + ec.message());
    const fs::path staging = output_dir / path_from_utf8(kExportStagingName);
    fs::remove_all(staging, ec);
    if (ec) throw std::runtime_error(path_to_utf8(staging) + ": cannot remove an interrupted export's files: " + ec.message());
    fs::create_directory(staging, ec);
    if (ec) throw std::runtime_error(path_to_utf8(staging) + ": cannot create the export's working folder: " + ec.message());
    dir_ = staging;
}

ExportStaging::ExportStaging(ExportStaging&& other) noexcept
    : output_dir_(std::move(other.output_dir_)), dir_(std::move(other.dir_)) {
    other.dir_.clear();
}

ExportStaging& ExportStaging::operator=(ExportStaging&& other) noexcept {
    if (this != &other) {
        this->~ExportStaging();
        output_dir_ = std::move(other.output_dir_);
        dir_ = std::move(other.dir_);
        other.dir_.clear();
    }
    return *this;
}

ExportStaging::~ExportStaging() {
    if (dir_.empty()) return;
    std::error_code ec;
    fs::remove_all(dir_, ec);  // best effort: a leftover is cleared by the next export
}

void ExportStaging::commit() {
    if (dir_.empty()) throw std::logic_error("ExportStaging::commit: nothing staged");
    std::error_code ec;
    // What the new export replaces: every export entry of the folder but the staging folder.
    std::vector<fs::path> previous;
    for (const auto& entry : fs::directory_iterator(output_dir_, ec)) {
        const fs::path name = entry.path().filename();
        if (name != dir_.filename() && is_export_entry_name(name)) previous.push_back(entry.path());
    }
    if (ec) throw ExportSwapError(path_to_utf8(output_dir_) + ": cannot list the output folder: " + ec.message());
    for (const fs::path& p : previous) {
        fs::remove_all(p, ec);
        if (ec) throw ExportSwapError(path_to_utf8(p) + ": cannot remove the previous export's entry: " + ec.message());
    }
    std::vector<fs::path> staged;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) staged.push_back(entry.path());
    if (ec) throw ExportSwapError(path_to_utf8(dir_) + ": cannot list the new export: " + ec.message());
    for (const fs::path& from : staged) {
        const fs::path to = output_dir_ / from.filename();
        fs::rename(from, to, ec);
        if (ec) throw ExportSwapError(path_to_utf8(to) + ": cannot move the new export's entry in: " + ec.message());
    }
    fs::remove(dir_, ec);
    dir_.clear();
}

}  // namespace samlabel::io
