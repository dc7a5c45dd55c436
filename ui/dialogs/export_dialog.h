#pragma once
// File > Export dataset: YOLO detect / YOLO segment / COCO / PNG masks from the
// project as it is in memory (saved first), on a worker thread with a progress
// bar and a working Cancel, then the export's report (images, instances
// written, every skipped instance with its reason, warnings). Before the
// export a preview says what it will take (never-annotated images left out
// unless ticked, images per split, a split that would be empty). The options
// are remembered (QSettings), the output folder per project; a folder holding
// another project's export or other files is replaced only after the user
// confirms. A finished export becomes the default folder of "Unload & Train".
#include "core/io/export_image_plan.h"
#include "core/io/export_report.h"

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace samlabel::ui {

class AnnotationDocument;

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(AnnotationDocument* document, QWidget* parent = nullptr);
    ~ExportDialog() override;  // cancels and waits for a running export

    // Starts the export with the options shown. False (and the reason in the
    // report box) when the options are unusable; the export itself reports
    // through finished().
    bool startExport();
    void cancelExport();
    // Close / Esc: while an export runs, cancels it (the dialog stays until it stopped).
    void reject() override;
    bool isRunning() const;
    QString reportText() const;
    // The last finished export's report (empty before).
    const io::ExportReport& report() const { return report_; }

    // Widgets, for tests.
    QComboBox* formatCombo() const { return format_; }
    QComboBox* transferCombo() const { return transfer_; }
    QCheckBox* splitCheck() const { return split_; }
    QDoubleSpinBox* trainSpin() const { return train_; }
    QDoubleSpinBox* valSpin() const { return val_; }
    QDoubleSpinBox* testSpin() const { return test_; }
    QSpinBox* seedSpin() const { return seed_; }
    QDoubleSpinBox* toleranceSpin() const { return tolerance_; }
    QLineEdit* outputEdit() const { return output_; }
    QProgressBar* progressBar() const { return progress_; }
    QPushButton* exportButton() const { return export_button_; }
    QPushButton* cancelButton() const { return cancel_button_; }

    // The folder an export writes to by default: beside the image folder.
    static QString defaultOutputDir(const QString& image_folder, const QString& format_name);

Q_SIGNALS:
    void progressed(int images_done, int images_total);
    // ok: the export ran (it may have been cancelled: report().cancelled).
    void finished(bool ok);
    // "Unload & Train" on the folder just written.
    void trainRequested(const QString& export_dir);


private:
    struct Outcome {
        io::ExportReport report;
        QString error;  // the export threw: unusable folder or options
    };
    void browse();
    void updateEnabled();
    void onFinished();
    void saveSettings() const;
    void updatePreview();
    io::ExportImagePlanOptions planOptions() const;
    void setProgress(int done, int total);

    AnnotationDocument* document_;
    QComboBox* format_ = nullptr;
    QComboBox* transfer_ = nullptr;
    QCheckBox* split_ = nullptr;
    QDoubleSpinBox* train_ = nullptr;
    QDoubleSpinBox* val_ = nullptr;
    QDoubleSpinBox* test_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QCheckBox* resplit_ = nullptr;
    QCheckBox* include_unannotated_ = nullptr;
    QCheckBox* only_reviewed_ = nullptr;  // leave out auto-label proposals not reviewed yet
    QLabel* preview_ = nullptr;
    QDoubleSpinBox* tolerance_ = nullptr;
    QLineEdit* output_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QPlainTextEdit* report_box_ = nullptr;
    QPushButton* export_button_ = nullptr;
    QPushButton* cancel_button_ = nullptr;
    QPushButton* train_button_ = nullptr;
    QPushButton* close_button_ = nullptr;
    QFutureWatcher<Outcome> watcher_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    io::ExportReport report_;
    QString last_output_;
};

}  // namespace samlabel::ui
