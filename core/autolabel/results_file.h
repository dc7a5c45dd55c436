#pragma once
// An auto-label results file: JSON Lines, so a run appends one finished image
// at a time and a crash or SIGKILL loses at most the image being written.
//   line 1: {"format": "samlabel-autolabel-results", "version": 1, "recipe_id": ..., "recipe": {...},
//            "shard": {"index": I, "count": N}, "project": ..., "device": ..., "created_ms": ...}
//   then one line per finished image: {"image": "a/b.jpg", "width": W, "height": H, "detections": [...]}
// (docs/autolabel.md). A last line without its newline is an image whose write
// was cut off: readers ignore it and a resumed run cuts it away first.
#include "core/autolabel/autolabel_recipe.h"
#include "core/autolabel/image_detections.h"
#include "core/autolabel/image_selection.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::autolabel {

inline constexpr const char* kResultsFormatName = "samlabel-autolabel-results";
inline constexpr int kResultsFormatVersion = 1;

struct ResultsHeader {
    Recipe recipe;
    ShardSpec shard;
    std::string project;      // the project file the run was made for (informative)
    std::string device;       // where the model ran (informative)
    std::int64_t created_ms = 0;
};

struct ResultsContent {
    ResultsHeader header;
    std::string recipe_id;                // recomputed from header.recipe (and checked against the file's)
    std::vector<ImageDetections> images;  // in file order; a later line for the same image replaces an earlier one
    bool cut_off_last_line = false;       // the last image's write was interrupted (ignored)
    std::uint64_t complete_bytes = 0;     // the file's length up to its last complete line
};

// "<file>: line N: <problem>" (line 0: the file itself).
class ResultsFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws ResultsFileError for a missing or unreadable file, another format, a
// newer version, or a malformed line (named by its number).
ResultsContent read_results_file(const std::filesystem::path& path);

// A run's results file, open for appending.
class ResultsWriter {
public:
    // Creates `path` with the header, or continues the file already there when
    // it was made with the same recipe and shard (its images are then added to
    // *done and a cut-off last line is removed). A file made with another
    // recipe or shard is refused with ResultsFileError saying what differs,
    // unless `restart`: then it is kept as <path>.old and a new file begun.
    ResultsWriter(const std::filesystem::path& path, const ResultsHeader& header, bool restart, std::set<std::string>* done);
    ~ResultsWriter();
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;

    // Appends one line and flushes it to the disk (fsync) before returning.
    // On a write error (a full disk) it throws ResultsFileError naming the file,
    // the image and the OS's reason, and cuts the file back to its last
    // complete line: the next append, once there is space, continues it.
    void append(const ImageDetections& image);
    const std::filesystem::path& path() const { return path_; }
    bool resumed() const { return resumed_; }

private:
    std::filesystem::path path_;
    std::FILE* file_ = nullptr;
    std::uintmax_t complete_bytes_ = 0;  // the file's size after the last complete line
    bool resumed_ = false;
};

}  // namespace samlabel::autolabel
