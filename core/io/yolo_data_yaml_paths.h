#pragma once
// The folders a data.yaml names come with the dataset, so they must be in it.
// train/val/test (a folder, an image list file, or an inline [a, b] list) are
// resolved against the folder data.yaml is in, and refused when they leave it
// (dataset_relative_path.h: '..', absolute, drive letters, UNC). One
// exception, as Ultralytics makes it: Roboflow writes "../train/images" for
// <dataset>/train/images, so a leading "../" whose rest is a folder of the
// dataset is read as that folder.
// `path` (the dataset root on the machine that wrote the file; our own exports
// write an absolute one) is never followed: the import reads the folder
// data.yaml is in, and only notes where `path` pointed.
#include "core/io/yolo_data_yaml.h"

#include <filesystem>
#include <string>
#include <vector>

namespace samlabel::io {

// Throws UnsafePathError ("<source>: train '../../x' climbs out ...; refused")
// for the first entry that leaves `dataset_dir`. Returns notes for the report
// (a Roboflow "../" read inside, a `path` that is not followed).
std::vector<std::string> check_data_yaml_paths(const YoloDataYaml& data, const std::filesystem::path& dataset_dir,
                                               const std::string& source_name);

}  // namespace samlabel::io
