#include "ui/dialogs/export_dialog.h"

#include "core/io/dataset_export.h"
#include "core/io/export_directory.h"
#include "core/io/export_image_plan.h"
#include "core/io/export_start.h"
#include "core/io/image_reader.h"
#include "ui/document/annotation_document.h"
#include "ui/settings/app_settings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <limits>
#include <map>
#include <sstream>

namespace samlabel::ui {

namespace {
const QString kFormat = QStringLiteral("export/format");
const QString kSplit = QStringLiteral("export/split");
const QString kTrain = QStringLiteral("export/train");
const QString kVal = QStringLiteral("export/val");
const QString kTest = QStringLiteral("export/test");
const QString kSeed = QStringLiteral("export/seed");
const QString kTransfer = QStringLiteral("export/transfer");
const QString kTolerance = QStringLiteral("export/tolerance_px");
const QString kIncludeUnannotated = QStringLiteral("export/include_unannotated");
const QString kResplit = QStringLiteral("export/resplit_imported");
// Read by UnloadAndTrainDialog::lastExportDir(): the folder it proposes.
const QString kTrainingLastExport = QStringLiteral("training/last_export_dir");

// The export folder is remembered per project (keyed by its project file), so
// one project's folder is never offered to the next.
QString output_dir_key(const QString& project_file) {
    return QStringLiteral("export/output_dir_by_project/") +
           QString::fromLatin1(QUrl::toPercentEncoding(QDir::cleanPath(QFileInfo(project_file).absoluteFilePath())));
}

bool has_imported_split(const annotation::Project& project) {
    for (const auto& [rel, image] : project.images())
        if (image.placement) return true;
    return false;
}

bool is_yolo(io::ExportFormat f) { return f == io::ExportFormat::YoloDetect || f == io::ExportFormat::YoloSegment; }

QDoubleSpinBox* fraction_spin(QWidget* parent, const QString& name) {
    auto* spin = new QDoubleSpinBox(parent);
    spin->setObjectName(name);
    spin->setRange(0.0, 1.0);
    spin->setSingleStep(0.05);
    spin->setDecimals(2);
    return spin;
}

// The report as the user reads it: counts first, then skip reasons grouped,
// then the full text the export also wrote to report.txt.
QString describe(const io::ExportReport& r) {
    QStringList lines;
    lines << (r.cancelled ? QObject::tr("Export CANCELLED: the folder is incomplete.") : QObject::tr("Export finished."));
    QString images = QObject::tr("Images: %1").arg(r.images);
    if (!r.images_per_split.empty()) {
        QStringList parts;
        for (const auto& [split, n] : r.images_per_split) parts << QStringLiteral("%1 %2").arg(QString::fromStdString(split)).arg(n);
        images += QStringLiteral(" (%1)").arg(parts.join(QStringLiteral(", ")));
    }
    lines << images;
    if (r.images_unannotated > 0)
        lines << (r.unannotated_included ? QObject::tr("Never annotated: %1, exported as background images").arg(r.images_unannotated)
                                         : QObject::tr("Never annotated: %1, left out").arg(r.images_unannotated));
    if (r.images_unreadable > 0) lines << QObject::tr("Unreadable images: %1, not exported (see warnings)").arg(r.images_unreadable);
    lines << QObject::tr("Instances written: %1 of %2").arg(r.instances_written).arg(r.instances_total);
    lines << QObject::tr("Skipped: %1").arg(r.skipped.size());
    std::map<std::string, int> reasons;
    for (const io::SkippedInstance& s : r.skipped) ++reasons[io::skip_reason_name(s.reason)];
    for (const auto& [reason, n] : reasons) lines << QObject::tr("  %1: %2").arg(QString::fromStdString(reason)).arg(n);
    lines << QObject::tr("Warnings: %1").arg(r.warnings.size());
    std::ostringstream full;
    io::write_report_text(r, full);
    lines << QString() << QString::fromStdString(full.str());
    return lines.join(QLatin1Char('\n'));
}
}  // namespace

QString ExportDialog::defaultOutputDir(const QString& image_folder, const QString& format_name) {
    const QFileInfo folder(image_folder);
    return QDir(folder.absolutePath()).filePath(folder.fileName() + QStringLiteral("-") + format_name);
}

ExportDialog::ExportDialog(AnnotationDocument* document, QWidget* parent) : QDialog(parent), document_(document) {
    setWindowTitle(tr("Export dataset"));
    setObjectName(QStringLiteral("export_dialog"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    layout->addLayout(form);

    format_ = new QComboBox(this);
    format_->setObjectName(QStringLiteral("format"));
    format_->addItem(tr("YOLO segment (polygons)"), int(io::ExportFormat::YoloSegment));
    format_->addItem(tr("YOLO detect (boxes)"), int(io::ExportFormat::YoloDetect));
    format_->addItem(tr("COCO instances (JSON)"), int(io::ExportFormat::Coco));
    format_->addItem(tr("PNG masks (semantic + instance)"), int(io::ExportFormat::PngMasks));
    form->addRow(tr("&Format:"), format_);

    split_ = new QCheckBox(tr("Split into train / val / test"), this);
    split_->setObjectName(QStringLiteral("split"));
    form->addRow(QString(), split_);
    auto* fractions = new QHBoxLayout;
    train_ = fraction_spin(this, QStringLiteral("train"));
    val_ = fraction_spin(this, QStringLiteral("val"));
    test_ = fraction_spin(this, QStringLiteral("test"));
    fractions->addWidget(new QLabel(tr("train"), this));
    fractions->addWidget(train_);
    fractions->addWidget(new QLabel(tr("val"), this));
    fractions->addWidget(val_);
    fractions->addWidget(new QLabel(tr("test"), this));
    fractions->addWidget(test_);
    form->addRow(tr("Fractions:"), fractions);
    seed_ = new QSpinBox(this);
    seed_->setObjectName(QStringLiteral("seed"));
    seed_->setRange(0, std::numeric_limits<int>::max());
    seed_->setToolTip(tr("Each image's split depends only on its path and the seed: re-exporting a grown project keeps old images where they were"));
    form->addRow(tr("Split &seed:"), seed_);
    resplit_ = new QCheckBox(tr("Re-split imported images (ignore the train / val split of their dataset)"), this);
    resplit_->setObjectName(QStringLiteral("resplit"));
    resplit_->setToolTip(tr("Imported images go back into the split they had in their dataset, under their own names; "
                            "tick this to split them by the fractions and seed like the others"));
    form->addRow(QString(), resplit_);
    include_unannotated_ = new QCheckBox(tr("Include never-annotated images (as background images, without labels)"), this);
    include_unannotated_->setObjectName(QStringLiteral("include_unannotated"));
    include_unannotated_->setToolTip(tr("An image with no instance that was never marked done is left out. "
                                        "Mark an image done to export it as a deliberate background image."));
    form->addRow(QString(), include_unannotated_);

    transfer_ = new QComboBox(this);
    transfer_->setObjectName(QStringLiteral("transfer"));
    transfer_->addItem(tr("Copy the image files"), int(io::ImageTransfer::Copy));
    transfer_->addItem(tr("Hard-link the image files (copy where impossible)"), int(io::ImageTransfer::HardLink));
    transfer_->addItem(tr("Reference the images where they are (COCO, PNG masks)"), int(io::ImageTransfer::None));
    form->addRow(tr("&Images:"), transfer_);

    tolerance_ = new QDoubleSpinBox(this);
    tolerance_->setObjectName(QStringLiteral("tolerance"));
    tolerance_->setRange(0.0, 20.0);
    tolerance_->setSingleStep(0.25);
    tolerance_->setSuffix(tr(" px"));
    tolerance_->setToolTip(tr("How far a polygon made from a mask may stray from the mask's outline (approxPolyDP epsilon)"));
    form->addRow(tr("Polygon &tolerance:"), tolerance_);

    auto* output_row = new QHBoxLayout;
    output_ = new QLineEdit(this);
    output_->setObjectName(QStringLiteral("output"));
    output_->setMinimumWidth(380);
    auto* browse_button = new QPushButton(tr("Browse…"), this);
    connect(browse_button, &QPushButton::clicked, this, &ExportDialog::browse);
    output_row->addWidget(output_, 1);
    output_row->addWidget(browse_button);
    form->addRow(tr("Output folder:"), output_row);

    preview_ = new QLabel(this);
    preview_->setObjectName(QStringLiteral("export_preview"));
    preview_->setWordWrap(true);
    preview_->setTextFormat(Qt::RichText);
    layout->addWidget(preview_);

    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("progress"));
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("%v / %m images"));
    progress_->setTextVisible(false);  // no figures before an export
    layout->addWidget(progress_);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    layout->addWidget(status_);
    report_box_ = new QPlainTextEdit(this);
    report_box_->setObjectName(QStringLiteral("report"));
    report_box_->setReadOnly(true);
    report_box_->setPlaceholderText(tr("The export's report appears here: images, instances written, skipped instances with their reasons, warnings."));
    report_box_->setMinimumHeight(180);
    layout->addWidget(report_box_, 1);

    auto* buttons = new QDialogButtonBox(this);
    export_button_ = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    export_button_->setObjectName(QStringLiteral("export_button"));
    cancel_button_ = buttons->addButton(tr("&Cancel export"), QDialogButtonBox::ActionRole);
    cancel_button_->setObjectName(QStringLiteral("cancel_button"));
    train_button_ = buttons->addButton(tr("Unload && &Train…"), QDialogButtonBox::ActionRole);
    train_button_->setToolTip(tr("Free the GPU and train YOLO on the folder just written"));
    close_button_ = buttons->addButton(QDialogButtonBox::Close);
    layout->addWidget(buttons);
    connect(export_button_, &QPushButton::clicked, this, [this] { startExport(); });
    connect(cancel_button_, &QPushButton::clicked, this, &ExportDialog::cancelExport);
    connect(close_button_, &QPushButton::clicked, this, &ExportDialog::reject);
    connect(train_button_, &QPushButton::clicked, this, [this] {
        const QString dir = last_output_;
        accept();
        Q_EMIT trainRequested(dir);
    });
    connect(&watcher_, &QFutureWatcher<Outcome>::finished, this, &ExportDialog::onFinished);

    // Remembered options.
    QSettings settings;
    const int format_index = format_->findData(settings.value(kFormat, int(io::ExportFormat::YoloSegment)).toInt());
    format_->setCurrentIndex(qMax(0, format_index));
    split_->setChecked(settings.value(kSplit, true).toBool());
    train_->setValue(settings.value(kTrain, 0.8).toDouble());
    val_->setValue(settings.value(kVal, 0.2).toDouble());
    test_->setValue(settings.value(kTest, 0.0).toDouble());
    seed_->setValue(settings.value(kSeed, 0).toInt());
    transfer_->setCurrentIndex(qMax(0, transfer_->findData(settings.value(kTransfer, int(io::ImageTransfer::Copy)).toInt())));
    tolerance_->setValue(settings.value(kTolerance, 1.0).toDouble());
    include_unannotated_->setChecked(settings.value(kIncludeUnannotated, false).toBool());
    resplit_->setChecked(settings.value(kResplit, false).toBool());
    if (document_ && document_->isOpen()) {
        const QString output = settings.value(output_dir_key(document_->projectFile())).toString();
        output_->setText(output.isEmpty() ? defaultOutputDir(document_->imageFolder(), QStringLiteral("export")) : output);
    }

    connect(format_, &QComboBox::currentIndexChanged, this, &ExportDialog::updateEnabled);
    connect(split_, &QCheckBox::toggled, this, &ExportDialog::updateEnabled);
    connect(transfer_, &QComboBox::currentIndexChanged, this, &ExportDialog::updateEnabled);
    for (QDoubleSpinBox* spin : {train_, val_, test_}) connect(spin, &QDoubleSpinBox::valueChanged, this, &ExportDialog::updatePreview);
    connect(seed_, &QSpinBox::valueChanged, this, &ExportDialog::updatePreview);
    connect(include_unannotated_, &QCheckBox::toggled, this, &ExportDialog::updatePreview);
    connect(resplit_, &QCheckBox::toggled, this, &ExportDialog::updatePreview);
    updateEnabled();
    resize(640, 560);
}

ExportDialog::~ExportDialog() {
    if (cancel_) cancel_->store(true);
    watcher_.waitForFinished();  // the job reads nothing of this dialog; it just must not outlive the app
}

void ExportDialog::browse() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export into folder"), output_->text());
    if (!dir.isEmpty()) output_->setText(dir);
}

bool ExportDialog::isRunning() const { return watcher_.isRunning(); }

QString ExportDialog::reportText() const { return report_box_->toPlainText(); }

void ExportDialog::updateEnabled() {
    const auto format = io::ExportFormat(format_->currentData().toInt());
    const bool running = isRunning();
    // YOLO needs a split; COCO and PNG masks may write one set.
    if (is_yolo(format)) split_->setChecked(true);
    split_->setEnabled(!running && !is_yolo(format));
    for (QWidget* w : {static_cast<QWidget*>(train_), static_cast<QWidget*>(val_), static_cast<QWidget*>(test_),
                       static_cast<QWidget*>(seed_)})
        w->setEnabled(!running && split_->isChecked());
    // YOLO datasets carry their images; only COCO / PNG masks may point at them.
    if (is_yolo(format) && transfer_->currentData().toInt() == int(io::ImageTransfer::None)) transfer_->setCurrentIndex(0);
    if (auto* model = qobject_cast<QStandardItemModel*>(transfer_->model()))
        if (QStandardItem* reference = model->item(2)) reference->setEnabled(!is_yolo(format));
    tolerance_->setEnabled(!running && format != io::ExportFormat::YoloDetect);
    for (QWidget* w : {static_cast<QWidget*>(format_), static_cast<QWidget*>(transfer_), static_cast<QWidget*>(output_),
                       static_cast<QWidget*>(include_unannotated_)})
        w->setEnabled(!running);
    const bool imported = document_ && document_->isOpen() && has_imported_split(document_->project());
    resplit_->setVisible(imported);
    resplit_->setEnabled(!running && imported && split_->isChecked());
    export_button_->setEnabled(!running && document_ && document_->isOpen());
    cancel_button_->setEnabled(running);
    train_button_->setEnabled(!running && !last_output_.isEmpty() && is_yolo(io::ExportFormat(format_->currentData().toInt())) &&
                              !report_.cancelled);
    close_button_->setEnabled(!running);
    updatePreview();
}

io::ExportImagePlanOptions ExportDialog::planOptions() const {
    io::ExportImagePlanOptions plan;
    const auto format = io::ExportFormat(format_->currentData().toInt());
    if (split_->isChecked() && train_->value() + val_->value() + test_->value() > 0.0)
        plan.split = io::SplitFractions{train_->value(), val_->value(), test_->value()};
    else if (is_yolo(format))
        plan.split = io::SplitFractions{};
    plan.seed = std::uint64_t(seed_->value());
    plan.include_unannotated = include_unannotated_->isChecked();
    plan.resplit_imported = resplit_->isChecked();
    return plan;
}

// Before the export: what it will take, where each split stands, and the
// traps (never-annotated images left out, a split that would be empty).
void ExportDialog::updatePreview() {
    if (!document_ || !document_->isOpen()) {
        preview_->clear();
        return;
    }
    const io::ExportImagePlanOptions plan = planOptions();
    const io::ExportPreview p = io::preview_export_images(document_->project(), plan);
    const auto warn = [](const QString& text) { return QStringLiteral("<span style='color:#b35900'>&#9888; %1</span>").arg(text.toHtmlEscaped()); };
    QStringList lines;
    QString images = tr("Exports %1 of %2 images").arg(p.images).arg(document_->project().images().size());
    if (!p.images_per_split.empty()) {
        QStringList parts;
        for (const auto& [split, n] : p.images_per_split) parts << QStringLiteral("%1 %2").arg(QString::fromStdString(split)).arg(n);
        images += QStringLiteral(" (%1)").arg(parts.join(QStringLiteral(", ")));
    }
    lines << images.toHtmlEscaped() + QLatin1Char('.');
    if (p.unannotated > 0)
        lines << (plan.include_unannotated
                      ? tr("%1 never annotated: exported as background images, without labels.").arg(p.unannotated).toHtmlEscaped()
                      : warn(tr("%1 never annotated (no instance, not marked done): left out. Tick “Include never-annotated "
                                "images” to export them as background images.").arg(p.unannotated)));
    if (p.images == 0)
        lines << warn(tr("Nothing to export: annotate an image or mark it done."));
    const auto count = [&](const char* split) {
        const auto it = p.images_per_split.find(split);
        return it == p.images_per_split.end() ? std::size_t(0) : it->second;
    };
    const bool yolo = is_yolo(io::ExportFormat(format_->currentData().toInt()));
    if (yolo && p.images > 0 && count("val") == 0)
        lines << warn(tr("Too few images for a val split: data.yaml will point val at the train images, so validation "
                         "measures images the model trained on. Annotate more images."));
    if (plan.split && plan.split->test > 0.0 && p.images > 0 && count("test") == 0)
        lines << warn(tr("Too few images for a test split: it is left out."));
    if (!p.moved.empty()) {
        lines << tr("%n image(s) moved to another split so that every split has one (see the report).", "", int(p.moved.size()))
                     .toHtmlEscaped();
        preview_->setToolTip(QString::fromStdString(p.moved.front()));
    } else {
        preview_->setToolTip({});
    }
    if (plan.split && has_imported_split(document_->project()) && !plan.resplit_imported)
        lines << tr("Imported images keep the split and file name they had in their dataset.").toHtmlEscaped();
    preview_->setText(lines.join(QStringLiteral("<br>")));
}

void ExportDialog::saveSettings() const {
    QSettings settings;
    settings.setValue(kFormat, format_->currentData().toInt());
    settings.setValue(kSplit, split_->isChecked());
    settings.setValue(kTrain, train_->value());
    settings.setValue(kVal, val_->value());
    settings.setValue(kTest, test_->value());
    settings.setValue(kSeed, seed_->value());
    settings.setValue(kTransfer, transfer_->currentData().toInt());
    settings.setValue(kTolerance, tolerance_->value());
    settings.setValue(kIncludeUnannotated, include_unannotated_->isChecked());
    settings.setValue(kResplit, resplit_->isChecked());
    if (document_ && document_->isOpen()) settings.setValue(output_dir_key(document_->projectFile()), output_->text());
}

bool ExportDialog::startExport() {
    if (isRunning()) return false;
    auto refuse = [this](const QString& why) {
        status_->setText(why);
        report_box_->setPlainText(why);
        return false;
    };
    if (!document_ || !document_->isOpen()) return refuse(tr("Open a folder of images first."));
    const QString output = output_->text().trimmed();
    if (output.isEmpty()) return refuse(tr("Choose an output folder."));
    if (QDir::cleanPath(QFileInfo(output).absoluteFilePath()) == QDir::cleanPath(QFileInfo(document_->imageFolder()).absoluteFilePath()))
        return refuse(tr("The output folder is the image folder: choose another one (the export writes images/ and labels/ into it)."));

    io::ExportOptions options;
    options.format = io::ExportFormat(format_->currentData().toInt());
    options.output_dir = io::path_from_utf8(QFileInfo(output).absoluteFilePath().toStdString());
    if (split_->isChecked()) {
        const double sum = train_->value() + val_->value() + test_->value();
        if (!(sum > 0.0)) return refuse(tr("The split fractions add up to 0: give train a share."));
        options.split = io::SplitFractions{train_->value(), val_->value(), test_->value()};
    }
    options.seed = std::uint64_t(seed_->value());
    options.image_transfer = io::ImageTransfer(transfer_->currentData().toInt());
    options.tolerance_px = tolerance_->value();
    options.include_unannotated = include_unannotated_->isChecked();
    options.resplit_imported = resplit_->isChecked();
    options.project_file = io::path_from_utf8(document_->projectFile().toStdString());
    options.max_pixels = std::uint64_t(AppSettings::pixelLimit());  // what the canvas refuses, the export does too

    // Another project's dataset, or files that are not an export: only with the user's word.
    try {
        const io::ExportFolderInspection folder = io::inspect_export_directory(options.output_dir, options.project_file);
        if (folder.needs_confirmation()) {
            QMessageBox box(QMessageBox::Warning, tr("Replace the folder?"),
                            QString::fromStdString(folder.describe(options.output_dir)) + QLatin1Char('.'),
                            QMessageBox::Yes | QMessageBox::No, this);
            box.setObjectName(QStringLiteral("replace_confirmation"));
            box.setInformativeText(tr("Replace it with this project's export?"));
            box.setDefaultButton(QMessageBox::No);
            if (box.exec() != QMessageBox::Yes)
                return refuse(tr("Not exported: %1. Choose another folder, or confirm to replace it.")
                                  .arg(QString::fromStdString(folder.describe(options.output_dir))));
            options.replace_foreign_output = true;
        }
    } catch (const std::exception& e) {
        return refuse(QString::fromStdString(e.what()));
    }
    saveSettings();

    // The export reads the project as it is now; saving first keeps the file
    // on disk in step with the dataset (a failed save is reported, not fatal:
    // the in-memory project is exported all the same).
    QString save_note;
    if (document_->isDirty() && !document_->save())
        save_note = tr("Note: the project could not be saved (%1); the export uses the annotations in memory.\n")
                        .arg(document_->lastSaveError());
    const annotation::Project project = document_->project();
    const std::filesystem::path image_root = io::path_from_utf8(document_->imageFolder().toStdString());

    cancel_ = std::make_shared<std::atomic<bool>>(false);
    QPointer<ExportDialog> self(this);
    options.progress = [self, cancel = cancel_](std::size_t done, std::size_t total) {
        // From the export's thread: hand the figures to the UI thread.
        QMetaObject::invokeMethod(
            QCoreApplication::instance(), [self, done, total] { if (self) self->setProgress(int(done), int(total)); }, Qt::QueuedConnection);
        return !cancel->load();
    };
    report_ = {};
    last_output_.clear();
    progress_->setRange(0, 0);  // busy until the first image is done
    progress_->setFormat(tr("%v / %m images"));
    progress_->setTextVisible(true);
    status_->setText(save_note + tr("Exporting to %1…").arg(QDir::toNativeSeparators(output)));
    report_box_->clear();
    watcher_.setFuture(QtConcurrent::run([project, image_root, options]() -> Outcome {
        Outcome out;
        try {
            out.report = io::export_dataset(project, image_root, options);
        } catch (const io::NothingToExport& e) {
            out.error = QString::fromStdString(e.what());
            if (e.unannotated() > 0 && !options.include_unannotated)
                out.error += tr("\nTick “Include never-annotated images” to export them as background images.");
        } catch (const std::exception& e) {
            out.error = QString::fromStdString(e.what());
        }
        return out;
    }));
    updateEnabled();
    return true;
}

void ExportDialog::setProgress(int done, int total) {
    if (!isRunning()) return;
    progress_->setRange(0, qMax(1, total));
    progress_->setValue(done);
    Q_EMIT progressed(done, total);
}

void ExportDialog::cancelExport() {
    if (!cancel_ || !isRunning()) return;
    cancel_->store(true);
    status_->setText(tr("Cancelling after the current image…"));
    cancel_button_->setEnabled(false);
}

void ExportDialog::onFinished() {
    const Outcome out = watcher_.result();
    const QString output = output_->text().trimmed();
    if (!out.error.isEmpty()) {
        report_ = {};
        // Figures only when the export got that far; never a made-up "0 / 1 images".
        if (progress_->maximum() > 0 && progress_->value() >= 0) progress_->setFormat(tr("failed after %v of %m images"));
        else progress_->setFormat(tr("failed"));
        if (progress_->maximum() == 0) progress_->setRange(0, 1);  // stop the busy animation
        status_->setText(tr("The export failed."));
        report_box_->setPlainText(tr("The export failed: %1").arg(out.error));
        updateEnabled();
        Q_EMIT finished(false);
        return;
    }
    report_ = out.report;
    progress_->setRange(0, qMax<int>(1, int(report_.images)));
    if (!report_.cancelled) progress_->setValue(progress_->maximum());
    report_box_->setPlainText(describe(report_));
    if (report_.cancelled) {
        status_->setText(tr("Cancelled: %1 holds a partial export.").arg(QDir::toNativeSeparators(output)));
    } else {
        last_output_ = QFileInfo(output).absoluteFilePath();
        status_->setText(tr("Written to %1 (report.txt and report.json beside it).").arg(QDir::toNativeSeparators(last_output_)));
        if (is_yolo(io::ExportFormat(format_->currentData().toInt())))
            QSettings().setValue(kTrainingLastExport, last_output_);  // Unload & Train proposes it
    }
    updateEnabled();
    Q_EMIT finished(true);
}

void ExportDialog::reject() {
    if (isRunning()) {
        cancelExport();  // closing means stop; the dialog stays until the export has stopped
        return;
    }
    QDialog::reject();
}

}  // namespace samlabel::ui
