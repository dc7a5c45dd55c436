#pragma once
// "Unload & train": pick a YOLO export folder (the last one by default) and
// the training command. The default command follows the dataset (segment for
// polygon labels, detect for boxes) and stays editable; the command last used
// for a folder is remembered (QSettings).
#include "core/service/training_command.h"
#include "core/service/training_launcher.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QDialogButtonBox;

namespace samlabel::ui {

class UnloadAndTrainDialog : public QDialog {
    Q_OBJECT
public:
    // export_dir: preselected folder (e.g. the export just written); empty: the last one used.
    explicit UnloadAndTrainDialog(const QString& export_dir = {}, QWidget* parent = nullptr);

    QString exportDir() const;
    QString command() const;
    // The job to hand to TrainingLauncher (working dir: the export folder, so
    // Ultralytics writes runs/ beside the dataset). Remembers the choice.
    service::TrainingJob job() const;

    QLineEdit* exportEdit() const { return export_edit_; }
    QLineEdit* commandEdit() const { return command_edit_; }

    static QString lastExportDir();

    void accept() override;

private:
    void inspect();

    QLineEdit* export_edit_ = nullptr;
    QLineEdit* command_edit_ = nullptr;
    QLabel* dataset_label_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
    bool command_edited_ = false;
    QString suggested_;
};

}  // namespace samlabel::ui
