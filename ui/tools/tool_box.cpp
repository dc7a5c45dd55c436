#include "ui/tools/tool_box.h"

#include "ui/canvas/canvas_widget.h"
#include "ui/tools/prompt_tool.h"
#include "ui/tools/tool.h"

#include <QAction>

namespace samlabel::ui {

ToolBox::ToolBox(AnnotationDocument* document, CanvasWidget* canvas, QObject* parent)
    : QObject(parent), document_(document), canvas_(canvas), group_(this) {
    group_.setExclusive(true);
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
    const QString shortcut = tool->shortcut().toString(QKeySequence::NativeText);
    action->setToolTip(shortcut.isEmpty() ? tool->help() : QString("%1 (%2)\n%3").arg(tool->title(), shortcut, tool->help()));
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
    active_ = tool;
    canvas_->setTool(tool);
    emit activeToolChanged(tool);
    emit statusMessage(tool->help());
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
