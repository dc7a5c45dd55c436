#pragma once
// The open project as the GUI sees it: owns the annotation::Project, the undo
// history (one QUndoStack for the whole project, so it survives image
// switches), the image list, the current image, dirty tracking and autosave
// (on every image switch and every N seconds, atomically through core).
//
// Every change goes through apply() with a core EditOperation; views listen to
// the signals. Nothing here touches widgets.
#include "core/annotation/annotation_types.h"
#include "core/annotation/project.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QUndoStack>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace samlabel::annotation {
class EditOperation;
}

namespace samlabel::ui {

// What happened while opening, for the user (the corrupt-file report).
struct OpenReport {
    QString project_file;
    QString problem;          // empty when the project file loaded cleanly (or was new)
    QString moved_aside_to;   // where a corrupt project file was moved
    QString recovered_from;   // backup used instead, if any
    QStringList scan_errors;  // unreadable folder entries
    int image_count = 0;
    bool hasProblem() const { return !problem.isEmpty() || !scan_errors.isEmpty(); }
    QString text() const;     // user-facing summary
};

class AnnotationDocument : public QObject {
    Q_OBJECT
public:
    explicit AnnotationDocument(QObject* parent = nullptr);
    ~AnnotationDocument() override;  // saves unsaved edits

    // Opens `image_folder`, with the project file at `project_file` (default:
    // <folder>/samlabel-project.json). With an empty folder, the folder is the
    // project's image_root. Saves the previously open project first.
    // Returns false (and report().problem says why) only when nothing could be opened.
    bool open(const QString& image_folder, const QString& project_file = {});
    void close();
    bool isOpen() const { return open_; }
    const OpenReport& report() const { return report_; }
    QString imageFolder() const;
    QString projectFile() const;

    const annotation::Project& project() const { return project_; }
    QUndoStack* undoStack() { return &undo_stack_; }

    // ---- images --------------------------------------------------------------
    int imageCount() const { return int(image_paths_.size()); }
    const std::string& relativePath(int index) const { return image_paths_.at(std::size_t(index)); }
    QString displayName(int index) const;
    QString absolutePath(int index) const;
    std::filesystem::path filesystemPath(int index) const;
    int indexOf(const std::string& relative_path) const;
    // Annotations of an image (never null for a valid index: entries are
    // created for every listed image when the project opens).
    const annotation::ImageAnnotations* annotations(int index) const;
    annotation::ImageStatus status(int index) const;

    int currentIndex() const { return current_index_; }
    void setCurrentIndex(int index);  // autosaves when there are unsaved edits
    void nextImage() { setCurrentIndex(current_index_ + 1); }
    void previousImage() { setCurrentIndex(current_index_ - 1); }
    const std::string& currentPath() const;
    const annotation::ImageAnnotations* currentAnnotations() const;
    // Records the EXIF-corrected size of an image once it is read.
    void recordImageSize(int index, int width, int height);

    // ---- edits ---------------------------------------------------------------
    // Applies the operation and puts it on the undo stack. Returns false (and
    // emits editFailed) when the edit does not fit the project. Edits with the
    // same non-zero merge_key become one undo step (a vertex drag).
    bool apply(std::unique_ptr<annotation::EditOperation> operation, std::uint64_t merge_key = 0);
    // A fresh key for one continuous gesture (vertex drag).
    std::uint64_t newMergeKey() { return ++last_merge_key_; }
    // Used by EditCommand for undo/redo.
    void replay(annotation::EditOperation& operation, bool revert);
    // Fresh ids for new instances.
    std::uint64_t allocateInstanceId() { return project_.allocate_instance_id(); }

    // ---- working state (not saved) ------------------------------------------
    annotation::ClassId currentClass() const { return current_class_; }
    void setCurrentClass(annotation::ClassId id);
    std::uint64_t selectedInstance() const { return selected_instance_; }  // 0 = none
    void setSelectedInstance(std::uint64_t instance_id);
    // Class colour (0xRRGGBB); grey for unassigned/unknown.
    std::uint32_t classColour(annotation::ClassId id) const;

    // ---- saving ----------------------------------------------------------------
    bool isDirty() const { return dirty_; }
    bool save();                     // atomic; emits saved or saveFailed
    QString lastSaveError() const { return last_save_error_; }
    void setAutosaveIntervalSeconds(int seconds);  // 0 = only on image switches and close
    int saveCount() const { return save_count_; }

signals:
    void opened();
    void closed();
    void currentImageChanged(int index);
    void annotationsChanged(int index);   // instances or status of that image; -1 = any image
    void classesChanged();
    void currentClassChanged(samlabel::annotation::ClassId id);
    void selectionChanged(std::uint64_t instance_id);
    void dirtyChanged(bool dirty);
    void saved(const QString& project_file);
    void saveFailed(const QString& message);
    void editFailed(const QString& message);

private:
    void setDirty(bool dirty);
    void notifyEdited(const annotation::EditOperation& operation, bool class_edit);
    void ensureValidCurrentClass();

    annotation::Project project_;
    QUndoStack undo_stack_;
    QTimer autosave_timer_;
    OpenReport report_;
    std::filesystem::path image_folder_;
    std::filesystem::path project_file_;
    std::vector<std::string> image_paths_;
    int current_index_ = -1;
    bool open_ = false;
    bool dirty_ = false;
    int save_count_ = 0;
    QString last_save_error_;
    annotation::ClassId current_class_ = annotation::kNoClass;
    std::uint64_t selected_instance_ = 0;
    std::uint64_t last_merge_key_ = 0;
};

}  // namespace samlabel::ui
