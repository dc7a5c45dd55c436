#include "ui/dialogs/unload_and_train_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace samlabel::ui {

namespace {
const QString kLastExport = QStringLiteral("training/last_export_dir");
const QString kCommandPrefix = QStringLiteral("training/command/");  // + folder hash: the command used for that export
const QString kLastCommand = QStringLiteral("training/last_command");

QString folder_key(const QString& dir) {
    return kCommandPrefix + QString::number(qHash(QDir::cleanPath(QDir(dir).absolutePath())), 16);
}
}  // namespace

QString UnloadAndTrainDialog::lastExportDir() { return QSettings().value(kLastExport).toString(); }

UnloadAndTrainDialog::UnloadAndTrainDialog(const QString& export_dir, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Unload & Train"));  // a title shows "&&" as it is; only buttons and menus halve it
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("samlabel unloads its model, checks that the GPU memory came back, then runs the "
                                "training command. Its output appears in the Training panel; the memory gauge "
                                "keeps running."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto* form = new QFormLayout;
    auto* export_row = new QHBoxLayout;
    export_edit_ = new QLineEdit(export_dir.isEmpty() ? lastExportDir() : export_dir, this);
    export_edit_->setPlaceholderText(tr("a YOLO export folder (with data.yaml)"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    export_row->addWidget(export_edit_, 1);
    export_row->addWidget(browse);
    form->addRow(tr("Export folder:"), export_row);
    dataset_label_ = new QLabel(this);
    dataset_label_->setWordWrap(true);
    form->addRow(QString(), dataset_label_);
    command_edit_ = new QLineEdit(this);
    command_edit_->setToolTip(tr("Run as a program with arguments (no shell). Use \"...\" around paths with spaces."));
    form->addRow(tr("Training command:"), command_edit_);
    layout->addLayout(form);

    buttons_ = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons_->addButton(tr("Unload && Train"), QDialogButtonBox::AcceptRole);
    layout->addWidget(buttons_);
    connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("YOLO export folder"), export_edit_->text());
        if (!dir.isEmpty()) export_edit_->setText(dir);
    });
    connect(export_edit_, &QLineEdit::textChanged, this, [this] { inspect(); });
    connect(command_edit_, &QLineEdit::textEdited, this, [this] { command_edited_ = true; });
    resize(640, sizeHint().height());
    inspect();
}

void UnloadAndTrainDialog::inspect() {
    const QString dir = export_edit_->text().trimmed();
    const service::DatasetInspection d = service::inspect_yolo_dataset(dir);
    QPushButton* go = nullptr;
    for (QAbstractButton* b : buttons_->buttons())
        if (buttons_->buttonRole(b) == QDialogButtonBox::AcceptRole) go = qobject_cast<QPushButton*>(b);
    if (!d.error.isEmpty()) {
        dataset_label_->setText(dir.isEmpty() ? tr("Choose the folder a YOLO export was written to.") : d.error);
        if (go) go->setEnabled(false);
        return;
    }
    if (go) go->setEnabled(true);
    dataset_label_->setText(d.task == service::DatasetTask::Detect    ? tr("Boxes (detect) dataset")
                            : d.task == service::DatasetTask::Segment ? tr("Polygon (segment) dataset")
                                                                      : tr("No labels found yet; assuming segment"));
    suggested_ = service::default_training_command(d);
    if (command_edited_) return;
    // The command last used for this folder wins over the suggestion.
    const QString remembered = QSettings().value(folder_key(dir)).toString();
    command_edit_->setText(remembered.isEmpty() ? suggested_ : remembered);
}

QString UnloadAndTrainDialog::exportDir() const { return QDir::cleanPath(export_edit_->text().trimmed()); }
QString UnloadAndTrainDialog::command() const { return command_edit_->text().trimmed(); }

service::TrainingJob UnloadAndTrainDialog::job() const {
    service::TrainingJob job;
    job.command_line = command();
    job.working_dir = exportDir();
    return job;
}

void UnloadAndTrainDialog::accept() {
    if (command().isEmpty()) {
        dataset_label_->setText(tr("Enter the training command."));
        return;
    }
    QSettings settings;
    settings.setValue(kLastExport, exportDir());
    settings.setValue(folder_key(exportDir()), command());
    settings.setValue(kLastCommand, command());
    QDialog::accept();
}

}  // namespace samlabel::ui
