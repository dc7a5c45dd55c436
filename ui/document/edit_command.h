#pragma once
// Thin QUndoCommand over core edit operations (core/annotation/edit_operations.h).
// The document applies the first operation itself (so a failing edit never
// reaches the stack); redo() re-applies only after an undo.
#include <QUndoCommand>

#include <cstdint>
#include <memory>
#include <vector>

namespace samlabel::annotation {
class EditOperation;
}

namespace samlabel::ui {

class AnnotationDocument;

class EditCommand : public QUndoCommand {
public:
    // Commands with the same non-zero merge_key merge into one undo step
    // (one vertex drag = many mouse moves = one step).
    EditCommand(AnnotationDocument* document, std::shared_ptr<annotation::EditOperation> applied_operation,
                std::uint64_t merge_key = 0);

    void redo() override;
    void undo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    AnnotationDocument* document_;
    std::vector<std::shared_ptr<annotation::EditOperation>> operations_;  // in apply order
    std::uint64_t merge_key_;
    bool skip_first_redo_ = true;
};

}  // namespace samlabel::ui
