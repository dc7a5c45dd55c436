#pragma once
// The default "Unload & train" command for an exported YOLO dataset:
// Ultralytics' `yolo segment train data=<export>/data.yaml` when its labels
// are polygons, `yolo detect train ...` when they are boxes.
#include <QString>

namespace samlabel::service {

enum class DatasetTask { Unknown, Detect, Segment };

struct DatasetInspection {
    DatasetTask task = DatasetTask::Unknown;
    QString data_yaml;   // absolute path
    QString error;       // "<file>: <problem>" when the folder is not a YOLO export
    int label_files_read = 0;
};

// Reads <dir>/data.yaml (must parse and name classes) and up to 200 label
// files of its train split: a line with 5 numbers is a box (detect), more
// is a polygon (segment). Task Unknown when no label file has a line.
DatasetInspection inspect_yolo_dataset(const QString& export_dir);

// "yolo segment train data=/path/data.yaml" (the path quoted when needed);
// detect when the task is Detect, segment when Unknown (the export default).
QString default_training_command(const DatasetInspection& dataset);

}  // namespace samlabel::service
