#pragma once
// A project as the command line meets it: a project file (or an image folder
// holding samlabel-project.json), its image folder, and the images listed the
// way the GUI lists them (every image on disk plus annotated images gone from
// it, in natural order).
#include "core/annotation/project.h"

#include <filesystem>
#include <string>
#include <vector>

namespace samlabel::autolabel {

struct ProjectOnDisk {
    std::filesystem::path file;        // the project file (may not exist yet when a folder was given)
    std::filesystem::path image_root;  // absolute
    annotation::Project project;
    bool exists = false;               // the file was there and loaded
    std::vector<std::string> images;   // relative paths, natural order
    std::vector<std::string> scan_errors;
};

// `path`: a project file, or a folder (its samlabel-project.json, created on
// save). images_override replaces the project's image_root. Reads with
// annotation::parse (a broken file is reported, never moved aside). Throws
// std::runtime_error naming the file and the problem.
ProjectOnDisk open_project_on_disk(const std::filesystem::path& path, const std::filesystem::path& images_override = {});

}  // namespace samlabel::autolabel
