#include "ui/document/annotation_document.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/project_file.h"
#include "core/io/image_folder.h"
#include "core/io/image_reader.h"
#include "ui/document/edit_command.h"

#include <QFileInfo>

#include <algorithm>
#include <set>

namespace samlabel::ui {
namespace {

QString toQString(const std::filesystem::path& path) { return QString::fromStdString(io::path_to_utf8(path)); }
std::filesystem::path toPath(const QString& text) { return io::path_from_utf8(text.toStdString()); }

}  // namespace

QString OpenReport::text() const {
    QStringList lines;
    if (!problem.isEmpty()) {
        lines << QObject::tr("The project file could not be loaded:") << problem;
        if (!moved_aside_to.isEmpty()) lines << QObject::tr("The damaged file was kept as: %1").arg(moved_aside_to);
        if (!recovered_from.isEmpty())
            lines << QObject::tr("Annotations were restored from the backup: %1").arg(recovered_from);
        else
            lines << QObject::tr("No valid backup was found; the project starts empty.");
    }
    if (!scan_errors.isEmpty()) {
        lines << QObject::tr("Some folder entries could not be read:");
        lines << scan_errors;
    }
    return lines.join('\n');
}

AnnotationDocument::AnnotationDocument(QObject* parent) : QObject(parent) {
    autosave_timer_.setSingleShot(false);
    connect(&autosave_timer_, &QTimer::timeout, this, [this] {
        if (dirty_) save();
    });
}

AnnotationDocument::~AnnotationDocument() {
    if (open_ && dirty_) save();
}

bool AnnotationDocument::open(const QString& image_folder, const QString& project_file) {
    close();
    report_ = OpenReport{};
    std::filesystem::path folder = image_folder.isEmpty() ? std::filesystem::path() : toPath(image_folder);
    std::filesystem::path project_path =
        project_file.isEmpty() ? annotation::default_project_path(folder) : toPath(project_file);
    if (folder.empty() && project_path.empty()) {
        report_.problem = tr("Nothing to open: give an image folder or a project file");
        return false;
    }
    project_path = std::filesystem::absolute(project_path);
    report_.project_file = toQString(project_path);

    annotation::ProjectLoadResult loaded = annotation::load_project_file(project_path);
    if (!loaded.ok()) {
        report_.problem = QString::fromStdString(loaded.problem);
        report_.moved_aside_to = toQString(loaded.moved_aside_to);
        report_.recovered_from = toQString(loaded.recovered_from);
    }
    project_ = std::move(loaded.project);

    const std::filesystem::path project_dir = project_path.parent_path();
    if (folder.empty()) {
        folder = io::path_from_utf8(project_.image_root);
        if (folder.is_relative()) folder = project_dir / folder;
    } else {
        folder = std::filesystem::absolute(folder);
        std::error_code ec;
        const auto relative = std::filesystem::relative(folder, project_dir, ec);
        project_.image_root = (!ec && !relative.empty()) ? io::path_to_utf8(relative.lexically_normal()) : io::path_to_utf8(folder);
        if (project_.image_root.empty()) project_.image_root = ".";
    }
    image_folder_ = folder.lexically_normal();
    project_file_ = project_path;

    const io::ImageFolderScan scan = io::scan_image_folder(image_folder_);
    for (const auto& error : scan.errors) report_.scan_errors << QString::fromStdString(error);
    if (scan.relative_paths.empty() && !scan.errors.empty() && project_.images().empty()) {
        report_.problem = tr("Cannot open %1: %2").arg(toQString(image_folder_), report_.scan_errors.join("; "));
        return false;
    }

    // The list: every image on disk plus every annotated image that is gone
    // from disk (shown with an error, its annotations kept).
    std::set<std::string, annotation::NaturalLess> listed(scan.relative_paths.begin(), scan.relative_paths.end());
    for (const auto& [path, image] : project_.images())
        if (!image.instances.empty()) listed.insert(path);
    image_paths_.assign(listed.begin(), listed.end());
    for (const auto& path : image_paths_) project_.ensure_image(path);
    report_.image_count = imageCount();

    const bool fresh = loaded.origin == annotation::ProjectLoadResult::Origin::NewProject;
    if (project_.classes().empty() && fresh) project_.add_class("object", 0xe6194b);
    open_ = true;
    ensureValidCurrentClass();
    dirty_ = fresh || !report_.problem.isEmpty();
    // Write a new or recovered project at once: the file exists from the
    // start, and a folder that cannot be written is reported now, not after
    // the first hour of work.
    if (dirty_) save();
    emit opened();
    emit classesChanged();
    emit dirtyChanged(dirty_);
    setCurrentIndex(image_paths_.empty() ? -1 : 0);
    return true;
}

void AnnotationDocument::close() {
    if (!open_) return;
    if (dirty_) save();
    undo_stack_.clear();
    open_ = false;
    image_paths_.clear();
    project_ = annotation::Project{};
    current_index_ = -1;
    selected_instance_ = 0;
    dirty_ = false;
    emit closed();
}

QString AnnotationDocument::imageFolder() const { return toQString(image_folder_); }
QString AnnotationDocument::projectFile() const { return toQString(project_file_); }

QString AnnotationDocument::displayName(int index) const { return QString::fromStdString(relativePath(index)); }

std::filesystem::path AnnotationDocument::filesystemPath(int index) const {
    return io::resolve_image_path(image_folder_, relativePath(index));
}

QString AnnotationDocument::absolutePath(int index) const { return toQString(filesystemPath(index)); }

int AnnotationDocument::indexOf(const std::string& relative_path) const {
    const auto it = std::lower_bound(image_paths_.begin(), image_paths_.end(), relative_path, annotation::NaturalLess{});
    return (it != image_paths_.end() && *it == relative_path) ? int(it - image_paths_.begin()) : -1;
}

const annotation::ImageAnnotations* AnnotationDocument::annotations(int index) const {
    if (index < 0 || index >= imageCount()) return nullptr;
    return project_.find_image(relativePath(index));
}

annotation::ImageStatus AnnotationDocument::status(int index) const {
    const auto* image = annotations(index);
    return image ? image->status : annotation::ImageStatus::New;
}

void AnnotationDocument::setCurrentIndex(int index) {
    if (image_paths_.empty()) index = -1;
    else index = std::clamp(index, 0, imageCount() - 1);
    if (index == current_index_) return;
    if (dirty_) save();
    current_index_ = index;
    selected_instance_ = 0;
    emit currentImageChanged(index);
    emit selectionChanged(0);
}

const std::string& AnnotationDocument::currentPath() const {
    static const std::string kNone;
    return current_index_ >= 0 ? relativePath(current_index_) : kNone;
}

const annotation::ImageAnnotations* AnnotationDocument::currentAnnotations() const { return annotations(current_index_); }

void AnnotationDocument::recordImageSize(int index, int width, int height) {
    const auto* image = annotations(index);
    if (image == nullptr || (image->width == width && image->height == height)) return;
    // Derived data (the file's own size): saved with the next edit, but not
    // a reason on its own to call the project unsaved.
    project_.ensure_image(relativePath(index), width, height);
}

bool AnnotationDocument::apply(std::unique_ptr<annotation::EditOperation> operation, std::uint64_t merge_key) {
    if (!open_ || !operation) return false;
    std::shared_ptr<annotation::EditOperation> op(std::move(operation));
    try {
        op->apply(project_);
    } catch (const std::exception& e) {
        emit editFailed(QString::fromStdString(e.what()));
        return false;
    }
    notifyEdited(*op, op->image_path().empty());
    undo_stack_.push(new EditCommand(this, op, merge_key));
    return true;
}

void AnnotationDocument::replay(annotation::EditOperation& operation, bool revert) {
    // Undoing an edit made on another image: show that image first, so the
    // user sees what the undo changed.
    const std::string path = operation.image_path();
    if (!path.empty() && path != currentPath()) {
        const int index = indexOf(path);
        if (index >= 0) setCurrentIndex(index);
    }
    try {
        if (revert) operation.revert(project_);
        else operation.apply(project_);
    } catch (const std::exception& e) {
        emit editFailed(QString::fromStdString(e.what()));
        return;
    }
    notifyEdited(operation, path.empty());
}

void AnnotationDocument::notifyEdited(const annotation::EditOperation& operation, bool class_edit) {
    setDirty(true);
    if (class_edit) {
        ensureValidCurrentClass();
        emit classesChanged();
        // Removing a class reassigns instances on any image.
        emit annotationsChanged(-1);
        return;
    }
    const auto* current = currentAnnotations();
    if (selected_instance_ != 0 && current &&
        !project_.find_instance(currentPath(), selected_instance_)) {
        selected_instance_ = 0;
        emit selectionChanged(0);
    }
    const int index = indexOf(operation.image_path());
    if (index >= 0) emit annotationsChanged(index);
}

void AnnotationDocument::setCurrentClass(annotation::ClassId id) {
    if (id == current_class_) return;
    current_class_ = id;
    emit currentClassChanged(id);
}

void AnnotationDocument::ensureValidCurrentClass() {
    if (project_.find_class(current_class_)) return;
    setCurrentClass(project_.classes().empty() ? annotation::kNoClass : project_.classes().front().id);
}

void AnnotationDocument::setSelectedInstance(std::uint64_t instance_id) {
    if (instance_id == selected_instance_) return;
    selected_instance_ = instance_id;
    emit selectionChanged(instance_id);
}

std::uint32_t AnnotationDocument::classColour(annotation::ClassId id) const {
    const auto* cls = project_.find_class(id);
    return cls ? cls->rgb : 0x9e9e9e;
}

bool AnnotationDocument::save() {
    if (!open_) return false;
    try {
        annotation::save_project_file(project_file_, project_);
    } catch (const std::exception& e) {
        last_save_error_ = QString::fromStdString(e.what());
        emit saveFailed(last_save_error_);
        return false;
    }
    last_save_error_.clear();
    ++save_count_;
    setDirty(false);
    emit saved(projectFile());
    return true;
}

void AnnotationDocument::setAutosaveIntervalSeconds(int seconds) {
    if (seconds <= 0) {
        autosave_timer_.stop();
        return;
    }
    autosave_timer_.start(seconds * 1000);
}

void AnnotationDocument::setDirty(bool dirty) {
    if (dirty == dirty_) return;
    dirty_ = dirty;
    emit dirtyChanged(dirty);
}

}  // namespace samlabel::ui
