#include "core/io/image_folder.h"

#include "core/annotation/natural_order.h"
#include "core/io/image_reader.h"

#include <algorithm>
#include <system_error>

namespace samlabel::io {
namespace fs = std::filesystem;

namespace {

bool is_hidden(const fs::path& p) {
    const std::u8string name = p.filename().u8string();
    return !name.empty() && name[0] == u8'.';
}

std::string relative_utf8(const fs::path& root, const fs::path& p) {
    std::string out;
    for (const fs::path& part : p.lexically_relative(root)) {
        if (!out.empty()) out += '/';
        out += path_to_utf8(part);
    }
    return out;
}

}  // namespace

ImageFolderScan scan_image_folder(const fs::path& root, const ImageFolderScanOptions& options) {
    ImageFolderScan scan;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        scan.errors.push_back(path_to_utf8(root) + ": " + (ec ? ec.message() : std::string("not a folder")));
        return scan;
    }
    auto dir_options = fs::directory_options::skip_permission_denied;
    if (options.follow_directory_symlinks) dir_options |= fs::directory_options::follow_directory_symlink;

    auto consider = [&](const fs::directory_entry& entry) {
        std::error_code fec;
        if (!entry.is_regular_file(fec)) return;
        if (!is_supported_image_extension(entry.path())) return;
        scan.relative_paths.push_back(relative_utf8(root, entry.path()));
    };

    if (options.recursive) {
        fs::recursive_directory_iterator it(root, dir_options, ec), end;
        if (ec) scan.errors.push_back(path_to_utf8(root) + ": " + ec.message());
        while (!ec && it != end) {
            const fs::directory_entry& entry = *it;
            if (is_hidden(entry.path())) {
                std::error_code dec;
                if (entry.is_directory(dec)) it.disable_recursion_pending();
            } else {
                consider(entry);
            }
            it.increment(ec);
            if (ec) {
                scan.errors.push_back(path_to_utf8(entry.path()) + ": " + ec.message());
                break;  // the iterator is unusable after an error
            }
        }
    } else {
        fs::directory_iterator it(root, dir_options, ec), end;
        if (ec) scan.errors.push_back(path_to_utf8(root) + ": " + ec.message());
        while (!ec && it != end) {
            if (!is_hidden(it->path())) consider(*it);
            it.increment(ec);
            if (ec) scan.errors.push_back(path_to_utf8(root) + ": " + ec.message());
        }
    }
    std::sort(scan.relative_paths.begin(), scan.relative_paths.end(), annotation::NaturalLess{});
    return scan;
}

fs::path resolve_image_path(const fs::path& root, std::string_view relative_utf8) {
    fs::path out = root;
    std::size_t start = 0;
    while (start <= relative_utf8.size()) {
        const std::size_t slash = relative_utf8.find('/', start);
        const std::string_view part = relative_utf8.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (!part.empty()) out /= path_from_utf8(part);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

}  // namespace samlabel::io
