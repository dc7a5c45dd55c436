#include "core/autolabel/results_file.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace samlabel::autolabel {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string u8(const fs::path& p) {
    const std::u8string s = p.u8string();
    return std::string(s.begin(), s.end());
}

[[noreturn]] void fail(const fs::path& file, std::size_t line, const std::string& problem) {
    throw ResultsFileError(u8(file) + ": " + (line ? "line " + std::to_string(line) + ": " : std::string()) + problem);
}

json header_to_json(const ResultsHeader& h) {
    return {{"format", kResultsFormatName},
            {"version", kResultsFormatVersion},
            {"recipe_id", recipe_id(h.recipe)},
            {"recipe", recipe_to_json(h.recipe)},
            {"shard", {{"index", h.shard.index}, {"count", h.shard.count}}},
            {"project", h.project},
            {"device", h.device},
            {"created_ms", h.created_ms}};
}

ResultsHeader header_from_json(const json& j, const fs::path& file, std::string* id_in_file) {
    const std::string where = u8(file) + ": line 1";
    if (!j.is_object() || j.value("format", std::string()) != kResultsFormatName)
        fail(file, 1, std::string("not a samlabel auto-label results file (no \"format\": \"") + kResultsFormatName + "\")");
    const json& version = j.contains("version") ? j["version"] : json();
    if (!version.is_number_integer() || version.get<int>() < 1) fail(file, 1, "version: expected an integer >= 1");
    if (version.get<int>() > kResultsFormatVersion)
        fail(file, 1, "version " + std::to_string(version.get<int>()) + " was written by a newer samlabel (this one reads up to " +
                          std::to_string(kResultsFormatVersion) + ")");
    ResultsHeader h;
    try {
        h.recipe = recipe_from_json(j.contains("recipe") ? j["recipe"] : json(), where);
    } catch (const std::invalid_argument& e) {
        throw ResultsFileError(e.what());
    }
    const json shard = j.value("shard", json::object());
    if (!shard.contains("index") || !shard.contains("count") || !shard["index"].is_number_integer() || !shard["count"].is_number_integer())
        fail(file, 1, "shard: expected {\"index\": I, \"count\": N}");
    h.shard = {shard["index"].get<int>(), shard["count"].get<int>()};
    if (h.shard.count < 1 || h.shard.index < 0 || h.shard.index >= h.shard.count) fail(file, 1, "shard: index outside 0..count-1");
    h.project = j.value("project", std::string());
    h.device = j.value("device", std::string());
    h.created_ms = j.value("created_ms", std::int64_t(0));
    *id_in_file = j.value("recipe_id", std::string());
    return h;
}

std::string shard_text(const ShardSpec& s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

std::FILE* open_for_append(const fs::path& path) {
#ifdef _WIN32
    return _wfopen(path.c_str(), L"ab");
#else
    return std::fopen(path.c_str(), "ab");
#endif
}

// Writes, flushes and syncs one line; 0 or the errno of what failed.
int write_line_to_disk(std::FILE* f, const std::string& line) {
    errno = 0;
    if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) return errno ? errno : EIO;
    if (std::fflush(f) != 0) return errno ? errno : EIO;
#ifdef _WIN32
    if (_commit(_fileno(f)) != 0) return errno ? errno : EIO;
#else
    if (::fsync(fileno(f)) != 0) return errno ? errno : EIO;
#endif
    return 0;
}

}  // namespace

ResultsContent read_results_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, 0, "cannot open the results file");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    ResultsContent content;
    std::size_t pos = 0, line_no = 0;
    bool have_header = false;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        ++line_no;
        if (end == std::string::npos) {  // the last write was cut off (crash, SIGKILL, full disk)
            content.cut_off_last_line = true;
            break;
        }
        const std::string_view line(text.data() + pos, end - pos);
        json j;
        try {
            j = json::parse(line.begin(), line.end());
        } catch (const json::exception& e) {  // parse_error; out_of_range for a number that overflows
            fail(path, line_no, std::string("not valid JSON: ") + e.what());
        }
        // A field of the wrong type ({"format": 0}) makes nlohmann throw type_error
        // from value()/get(): it is the file's fault, so it gets the file's error.
        try {
            if (!have_header) {
                std::string id_in_file;
                content.header = header_from_json(j, path, &id_in_file);
                content.recipe_id = recipe_id(content.header.recipe);
                if (!id_in_file.empty() && id_in_file != content.recipe_id)
                    fail(path, 1, "recipe_id " + id_in_file + " does not match the recipe (" + content.recipe_id + "): the file was edited");
                have_header = true;
            } else {
                try {
                    content.images.push_back(image_detections_from_json(j, u8(path) + ": line " + std::to_string(line_no)));
                } catch (const std::invalid_argument& e) {
                    throw ResultsFileError(e.what());
                }
            }
        } catch (const json::exception& e) {
            fail(path, line_no, std::string("a field has the wrong type: ") + e.what());
        }
        pos = end + 1;
        content.complete_bytes = pos;
    }
    if (!have_header) fail(path, 0, "empty results file (no header line)");
    return content;
}

ResultsWriter::ResultsWriter(const fs::path& path, const ResultsHeader& header, bool restart, std::set<std::string>* done) : path_(path) {
    std::error_code ec;
    if (fs::exists(path, ec) && fs::file_size(path, ec) > 0) {
        std::optional<ResultsContent> existing;
        std::string unreadable;
        try {
            existing = read_results_file(path);
        } catch (const ResultsFileError& e) {
            unreadable = e.what();
        }
        std::string difference;
        if (existing) {
            difference = describe_recipe_difference(existing->header.recipe, header.recipe);
            if (existing->header.shard != header.shard)
                difference += (difference.empty() ? "" : "; ") + std::string("shard ") + shard_text(existing->header.shard) + " vs " + shard_text(header.shard);
        }
        if (existing && difference.empty()) {
            if (existing->cut_off_last_line) fs::resize_file(path, existing->complete_bytes, ec);
            if (ec) fail(path, 0, "cannot cut off the interrupted last line: " + ec.message());
            complete_bytes_ = existing->complete_bytes;
            if (done)
                for (const ImageDetections& image : existing->images) done->insert(image.image);
            resumed_ = true;
        } else if (!restart) {
            if (!existing) throw ResultsFileError(unreadable + " (pass --restart to begin a new results file; the old one is kept as .old)");
            fail(path, 0, "made by another run (" + difference + "); pass --restart to begin a new file (the old one is kept as .old), or write to another --out");
        } else {
            fs::path old = path;
            old += ".old";
            fs::rename(path, old, ec);
            if (ec) fail(path, 0, "cannot move the old results aside to " + u8(old) + ": " + ec.message());
        }
    }
    file_ = open_for_append(path);
    if (!file_) fail(path, 0, std::string("cannot open the results file for writing: ") + std::strerror(errno));
    if (!resumed_) {
        // A header cut short by a full disk would make the next run refuse the
        // file: on failure the new file is removed again.
        if (const int err = write_line_to_disk(file_, header_to_json(header).dump() + "\n"); err != 0) {
            std::fclose(file_);
            file_ = nullptr;
            fs::remove(path, ec);
            fail(path, 0, std::string("cannot write the header: ") + std::strerror(err));
        }
        complete_bytes_ = fs::file_size(path, ec);
    }
}

ResultsWriter::~ResultsWriter() {
    if (file_) std::fclose(file_);
}

void ResultsWriter::append(const ImageDetections& image) {
    const std::string line = image_detections_to_json(image).dump() + "\n";
    if (!file_) file_ = open_for_append(path_);  // closed by an earlier failure
    const int err = file_ ? write_line_to_disk(file_, line) : (errno ? errno : EIO);
    if (err == 0) {
        complete_bytes_ += line.size();
        return;
    }
    // A full disk may have taken part of the line: cut the file back to its
    // last complete line, so it stays readable and an append after space
    // returns continues it cleanly (the stdio buffer is dropped with the FILE).
    if (file_) std::fclose(file_);
    file_ = nullptr;
    std::error_code ec;
    fs::resize_file(path_, complete_bytes_, ec);
    fail(path_, 0, "cannot append " + image.image + ": " + std::strerror(err) +
                       (ec ? "; cutting off the partial line failed too: " + ec.message()
                           : "; the file keeps every earlier image, run again to resume"));
}

}  // namespace samlabel::autolabel
