#include "ui/document/edit_command.h"

#include "core/annotation/edit_operations.h"
#include "ui/document/annotation_document.h"

namespace samlabel::ui {
namespace {
constexpr int kMergeableCommandId = 0x5a4d;  // any constant; QUndoStack only compares ids
}

EditCommand::EditCommand(AnnotationDocument* document, std::shared_ptr<annotation::EditOperation> applied_operation,
                         std::uint64_t merge_key)
    : QUndoCommand(QString::fromStdString(applied_operation->description())),
      document_(document),
      merge_key_(merge_key) {
    operations_.push_back(std::move(applied_operation));
}

void EditCommand::redo() {
    if (skip_first_redo_) {
        skip_first_redo_ = false;
        return;
    }
    for (const auto& op : operations_) document_->replay(*op, /*revert=*/false);
}

void EditCommand::undo() {
    for (auto it = operations_.rbegin(); it != operations_.rend(); ++it) document_->replay(**it, /*revert=*/true);
}

int EditCommand::id() const { return merge_key_ != 0 ? kMergeableCommandId : -1; }

bool EditCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = dynamic_cast<const EditCommand*>(other);
    if (next == nullptr || next->merge_key_ != merge_key_ || merge_key_ == 0) return false;
    operations_.insert(operations_.end(), next->operations_.begin(), next->operations_.end());
    return true;
}

}  // namespace samlabel::ui
