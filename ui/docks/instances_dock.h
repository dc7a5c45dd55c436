#pragma once
// Instances of the current image: class (changeable), area, source. Selecting
// a row selects the instance on the canvas and the other way round.
#include <QDockWidget>

#include <cstdint>

class QTableWidget;

namespace samlabel::ui {

class AnnotationDocument;

class InstancesDock : public QDockWidget {
    Q_OBJECT
public:
    explicit InstancesDock(AnnotationDocument* document, QWidget* parent = nullptr);
    QTableWidget* table() const { return table_; }
    // Sets the class of the selected instance (undoable).
    void changeSelectedClass(int class_id);
    void removeSelected();

private:
    void rebuild();
    void refresh();  // in place when the rows are the same instances
    void syncSelection();

    AnnotationDocument* document_;
    QTableWidget* table_;
    bool rebuilding_ = false;
};

}  // namespace samlabel::ui
