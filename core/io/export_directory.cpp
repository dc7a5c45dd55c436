#include "core/io/export_directory.h"

#include "core/io/image_reader.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <system_error>

namespace samlabel::io {
namespace {

namespace fs = std::filesystem;

bool is_inside(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;  // trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return true;
}

fs::path canonical_or_absolute(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p) : c;
}

}  // namespace

bool is_export_entry_name(const fs::path& name) {
    static const char* const kNames[] = {"images", "labels", "annotations", "semantic", "instances", "data.yaml",
                                         "class_map.json", "legend.json", "report.json", "report.txt"};
    const std::string n = path_to_utf8(name);
    return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; });
}

void prepare_export_directory(const fs::path& output_dir, const fs::path& image_root) {
    const std::string out_name = path_to_utf8(output_dir);
    if (output_dir.empty()) throw std::runtime_error("no output folder given");
    const fs::path out = canonical_or_absolute(output_dir);
    const fs::path images = canonical_or_absolute(image_root);
    if (is_inside(images, out))
        throw std::runtime_error(out_name + ": refusing to export into the image folder or a folder containing it (" +
                                 path_to_utf8(image_root) + ")");
    std::error_code ec;
    if (!fs::exists(out, ec)) {
        fs::create_directories(out, ec);
        if (ec) throw std::runtime_error(out_name + ": cannot create the output folder: " + ec.message());
        return;
    }
    if (!fs::is_directory(out, ec)) throw std::runtime_error(out_name + ": exists and is not a folder");
    bool empty = true;
    for (const auto& entry : fs::directory_iterator(out, ec)) {
        (void)entry;
        empty = false;
        break;
    }
    if (ec) throw std::runtime_error(out_name + ": cannot list the output folder: " + ec.message());
    if (empty) return;
    if (!fs::exists(out / "report.json"))
        throw std::runtime_error(out_name + ": the folder is not empty and holds no previous samlabel export "
                                            "(no report.json); choose an empty or new folder");
    for (const auto& entry : fs::directory_iterator(out)) {
        if (!is_export_entry_name(entry.path().filename())) continue;
        fs::remove_all(entry.path(), ec);
        if (ec)
            throw std::runtime_error(out_name + ": cannot remove the previous export's " +
                                     path_to_utf8(entry.path().filename()) + ": " + ec.message());
    }
}

}  // namespace samlabel::io
