#include "ui/tools/tool_box.h"

#include "ui/canvas/canvas_widget.h"
#include "ui/document/annotation_document.h"
#include "ui/icons/bundled_icons.h"
#include "ui/tools/prompt_tool.h"
#include "ui/tools/tool.h"

#include <QAction>

namespace samlabel::ui {

ToolBox::ToolBox(AnnotationDocument* document, CanvasWidget* canvas, QObject* parent)
    : QObject(parent), document_(document), canvas_(canvas), group_(this) {
    group_.setExclusive(true);
    if (document_) connect(document_, &AnnotationDocument::currentImageChanged, this, &ToolBox::onImageChanged);
}

QAction* ToolBox::addTool(Tool* tool) {
    tool->setParent(this);
    tool->attach(document_, canvas_);
    tools_.append(tool);
    auto* action = new QAction(tool->title(), &group_);
    action->setObjectName("tool_" + tool->id());
    action->setData(tool->id());
    action->setCheckable(true);
    action->setShortcut(tool->shortcut());
    action->setIcon(toolIcon(tool->id()));
    // The tooltip names the keys as they are now (the user may change them in Preferences).
    const auto update_tooltip = [action, tool] {
        QStringList keys;
        for (const QKeySequence& k : action->shortcuts()) keys << k.toString(QKeySequence::NativeText);
        const QString tip = keys.isEmpty() ? QString("%1\n%2").arg(tool->title(), tool->help())
                                           : QString("%1 (%2)\n%3").arg(tool->title(), keys.join(QStringLiteral(", ")), tool->help());
        if (action->toolTip() != tip) action->setToolTip(tip);
    };
    update_tooltip();
    connect(action, &QAction::changed, this, update_tooltip);
    connect(action, &QAction::triggered, this, [this, tool] { setActive(tool); });
    connect(tool, &Tool::statusMessage, this, &ToolBox::statusMessage);
    if (!active_) setActive(tool);
    return action;
}

Tool* ToolBox::tool(const QString& id) const {
    for (Tool* t : tools_)
        if (t->id() == id) return t;
    return nullptr;
}

QAction* ToolBox::action(const QString& id) const {
    for (QAction* a : group_.actions())
        if (a->data().toString() == id) return a;
    return nullptr;
}

bool ToolBox::activate(const QString& id) {
    Tool* t = tool(id);
    if (!t) return false;
    setActive(t);
    return true;
}

void ToolBox::setActive(Tool* tool) {
    if (QAction* a = action(tool->id())) a->setChecked(true);
    if (active_ == tool) return;
    QPointer<Tool> previous = active_;
    active_ = tool;
    canvas_->setTool(tool);  // deactivates the previous tool
    emit activeToolChanged(tool);
    emit statusMessage(tool->help());
    if (previous && previous->hasPendingWork()) {
        // It kept its result: say where it is rather than let it look lost.
        const QAction* back = action(previous->id());
        const QString key = back ? back->shortcut().toString(QKeySequence::NativeText) : QString();
        emit statusMessage(key.isEmpty() ? tr("%1: the unaccepted result is kept; go back to %1 to accept it").arg(previous->title())
                                         : tr("%1: the unaccepted result is kept; press %2 to go back and Enter to accept it")
                                               .arg(previous->title(), key));
    }
}

void ToolBox::onImageChanged() {
    // A result kept by an inactive tool belongs to the image it was made on.
    // (The canvas tells the active tool itself.)
    for (Tool* t : tools_)
        if (t != active_ && t->hasPendingWork()) t->imageChanged();
}

void ToolBox::setPromptTool(PromptTool* tool) { prompt_tool_ = tool; }

void ToolBox::usePromptPoints(PointLabel label) {
    if (!prompt_tool_) return;
    setActive(prompt_tool_);
    prompt_tool_->setPointLabel(label);
    emit statusMessage(label == PointLabel::Positive ? tr("%1: next click adds a positive point").arg(prompt_tool_->title())
                                                     : tr("%1: next click adds a negative point").arg(prompt_tool_->title()));
}

bool ToolBox::accept() { return active_ && active_->accept(); }
bool ToolBox::cancel() { return active_ && active_->cancel(); }

}  // namespace samlabel::ui
