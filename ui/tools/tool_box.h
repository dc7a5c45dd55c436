#pragma once
// The set of canvas tools: one checkable action per tool (toolbar and menu),
// the active tool, and the preferred prompt tool that Q/E drive (GrabCut by
// default; the SAM tool can take over with setPromptTool()).
#include <QActionGroup>
#include <QList>
#include <QObject>
#include <QPointer>

namespace samlabel::ui {

class AnnotationDocument;
class CanvasWidget;
class PromptTool;
enum class PointLabel;
class Tool;

class ToolBox : public QObject {
    Q_OBJECT
public:
    ToolBox(AnnotationDocument* document, CanvasWidget* canvas, QObject* parent = nullptr);

    // Takes ownership. The tool's action uses its shortcut and title.
    QAction* addTool(Tool* tool);
    const QList<Tool*>& tools() const { return tools_; }
    Tool* tool(const QString& id) const;
    QAction* action(const QString& id) const;
    QActionGroup* actions() { return &group_; }

    Tool* activeTool() const { return active_; }
    bool activate(const QString& id);

    void setPromptTool(PromptTool* tool);  // must have been added
    PromptTool* promptTool() const { return prompt_tool_; }
    // Q / E: switch to the prompt tool with that point polarity.
    void usePromptPoints(PointLabel label);

    bool accept();  // Enter / Space on the active tool
    bool cancel();  // Esc on the active tool

signals:
    void activeToolChanged(Tool* tool);
    void statusMessage(const QString& text);

private:
    void setActive(Tool* tool);
    void onImageChanged();

    AnnotationDocument* document_;
    CanvasWidget* canvas_;
    QActionGroup group_;
    QList<Tool*> tools_;
    QPointer<Tool> active_;
    QPointer<PromptTool> prompt_tool_;
};

}  // namespace samlabel::ui
