#include "core/service/training_command.h"

#include "core/io/yolo_data_yaml.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <stdexcept>

namespace samlabel::service {

namespace {

constexpr int kMaxLabelFiles = 200;

// Ultralytics finds labels by replacing the last /images/ with /labels/.
QString labels_dir_for(const QString& images_dir) {
    const qsizetype at = images_dir.lastIndexOf(QStringLiteral("/images"));
    if (at < 0) return {};
    QString labels = images_dir;
    labels.replace(at, 7, QStringLiteral("/labels"));
    return labels;
}

}  // namespace

DatasetInspection inspect_yolo_dataset(const QString& export_dir) {
    DatasetInspection out;
    const QDir dir(export_dir);
    out.data_yaml = dir.absoluteFilePath(QStringLiteral("data.yaml"));
    QFile file(out.data_yaml);
    if (!file.open(QIODevice::ReadOnly)) {
        out.error = out.data_yaml + QStringLiteral(": cannot open (is this a YOLO export folder?)");
        return out;
    }
    io::YoloDataYaml yaml;
    try {
        yaml = io::parse_data_yaml(file.readAll().toStdString(), out.data_yaml.toStdString());
    } catch (const std::exception& e) {
        out.error = QString::fromUtf8(e.what());
        return out;
    }
    if (yaml.names.empty()) {
        out.error = out.data_yaml + QStringLiteral(": no class names");
        return out;
    }
    QString root = QString::fromStdString(yaml.path);
    if (root.isEmpty() || QDir::isRelativePath(root)) root = dir.absoluteFilePath(root.isEmpty() ? QStringLiteral(".") : root);
    const auto train = yaml.splits.find("train");
    const QString images = QDir(root).absoluteFilePath(train != yaml.splits.end() ? QString::fromStdString(train->second)
                                                                                   : QStringLiteral("images/train"));
    const QString labels = labels_dir_for(QDir::cleanPath(images));
    if (labels.isEmpty()) return out;
    QDirIterator it(labels, {QStringLiteral("*.txt")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext() && out.label_files_read < kMaxLabelFiles && out.task == DatasetTask::Unknown) {
        QFile label(it.next());
        if (!label.open(QIODevice::ReadOnly)) continue;
        ++out.label_files_read;
        while (!label.atEnd()) {
            const QList<QByteArray> fields = label.readLine().simplified().split(' ');
            if (fields.size() < 5 || fields.front().isEmpty()) continue;
            out.task = fields.size() == 5 ? DatasetTask::Detect : DatasetTask::Segment;
            break;
        }
    }
    return out;
}

QString default_training_command(const DatasetInspection& dataset) {
    QString yaml = QDir::toNativeSeparators(dataset.data_yaml);
    // QProcess::splitCommand and shells both take "..." around a path with spaces.
    if (yaml.contains(QLatin1Char(' '))) yaml = QLatin1Char('"') + yaml + QLatin1Char('"');
    const char* task = dataset.task == DatasetTask::Detect ? "detect" : "segment";
    return QStringLiteral("yolo %1 train data=%2").arg(QLatin1String(task), yaml);
}

}  // namespace samlabel::service
