#pragma once
// A small hostile project on disk for the export tests: names with spaces and
// non-ASCII letters, upper-case extensions, an EXIF-rotated JPEG, grayscale
// and 16-bit PNGs, an image without instances, a class without instances,
// polygons with holes, multi-part polygons, masks with holes, multi-part
// masks, and instances that must be skipped (no class, degenerate, outside).
#include "core/annotation/project.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace samlabel::testing {

struct ExportFixture {
    std::filesystem::path image_root;
    annotation::Project project;
    int expected_skips = 0;  // instances the exporters must skip (with a reason)
};

// Writes the images under `root` and returns the project describing them.
ExportFixture make_export_fixture(const std::filesystem::path& root);

// JPEG bytes with an EXIF APP1 segment carrying `orientation` (1..8).
std::vector<unsigned char> jpeg_with_exif_orientation(const cv::Mat& bgr, int orientation);

void write_bytes(const std::filesystem::path& path, const std::vector<unsigned char>& bytes);

}  // namespace samlabel::testing
