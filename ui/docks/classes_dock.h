#pragma once
// Label classes: add, rename (in place: double-click or F2), recolour
// (QColorDialog), reorder (drag or up/down), remove (instances become
// unassigned, undoable). Selecting a class makes it the class for new shapes;
// keys 1-9 pick the first nine. Class ids are stable: reordering never
// relabels instances.
#include "core/annotation/annotation_types.h"

#include <QDockWidget>

#include <cstdint>

class QListWidget;
class QListWidgetItem;
class QPushButton;

namespace samlabel::ui {

class AnnotationDocument;

class ClassesDock : public QDockWidget {
    Q_OBJECT
public:
    explicit ClassesDock(AnnotationDocument* document, QWidget* parent = nullptr);

    QListWidget* list() const { return list_; }
    // Actions (also used by tests and shortcuts).
    annotation::ClassId addClass(const QString& name = {});
    void moveCurrent(int delta);
    void recolourCurrent();
    void removeCurrent();
    void renameCurrent();  // opens the in-place editor
    // Commits a name being typed in the in-place editor (every action does first).
    void commitEdit();
    void pickClassAt(int position);  // 0-based display position (keys 1-9)

    // A distinct colour for the n-th class.
    static std::uint32_t paletteColour(int n);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void rebuild();
    void selectCurrentClass();
    void onItemChanged(QListWidgetItem* item);
    void onRowsMoved();

    AnnotationDocument* document_;
    QListWidget* list_;
    QPushButton* colour_button_;
    bool rebuilding_ = false;
};

}  // namespace samlabel::ui
