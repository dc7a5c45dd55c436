#pragma once
// The find bar's canvas tool: draws the candidates (tinted masks, outlines,
// their scores; the selected ones brighter) and lets the user draw exemplar
// boxes: a left drag adds a positive box ("more like this"), Shift+drag or the
// find bar's "- Box" mode a negative one ("not like this"), as X-AnyLabeling's
// +Rect/-Rect. A click on a candidate selects it (Ctrl+click adds). Backspace
// removes the newest box, Esc clears the boxes.
#include "core/engine/engine_types.h"
#include "ui/tools/box_drag_gesture.h"
#include "ui/tools/tool.h"

#include <QImage>
#include <QPainterPath>
#include <QPointer>
#include <QSet>

#include <map>
#include <vector>

namespace samlabel::ui {

class FindSession;

class FindTool : public Tool {
    Q_OBJECT
public:
    explicit FindTool(FindSession* session, QObject* parent = nullptr);

    QString id() const override { return QStringLiteral("find"); }
    QString title() const override { return tr("Find"); }
    QString help() const override {
        return tr("Find: drag example boxes (Shift+drag: a negative one), click a candidate to select it; Ctrl+F types a prompt");
    }

    // The polarity of the next dragged box.
    void setNegativeBoxes(bool negative);
    bool negativeBoxes() const { return negative_; }
    const std::vector<engine::ExemplarBox>& boxes() const { return boxes_; }
    void clearBoxes();
    void setSelected(const QSet<int>& candidates);
    const QSet<int>& selected() const { return selected_; }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseRelease(const ToolMouseEvent& event) override;
    bool keyPress(QKeyEvent* event) override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool cancel() override;
    void imageChanged() override { clearBoxes(); }
    bool hasPendingWork() const override { return !boxes_.empty(); }

Q_SIGNALS:
    void boxesChanged(int count);
    // A click on a candidate (index into FindSession::candidates()).
    void candidateClicked(int candidate, bool additive);

private:
    struct Drawn {
        QImage tint;          // the candidate's box region
        QPoint origin;
        QPainterPath outline;
    };
    const Drawn& drawnOf(int candidate) const;

    QPointer<FindSession> session_;
    BoxDragGesture gesture_;
    bool negative_ = false;
    bool shift_drag_ = false;
    std::vector<engine::ExemplarBox> boxes_;
    QSet<int> selected_;
    mutable std::map<int, Drawn> drawn_;  // cache, cleared with each new search
};

}  // namespace samlabel::ui
