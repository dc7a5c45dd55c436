#pragma once
// Brush and eraser on masks. Brush paints into the selected instance (or a new
// one); eraser removes from the selected instance (or the one under the
// cursor). One stroke = one undo step. Size: [ and ] (shared setting).
#include "ui/tools/tool.h"

#include <QPainterPath>

#include <opencv2/core.hpp>

#include <cstdint>

namespace samlabel::ui {

class BrushTool : public Tool {
    Q_OBJECT
public:
    enum class Mode { Paint, Erase };
    BrushTool(Mode mode, QObject* parent = nullptr);

    QString id() const override { return mode_ == Mode::Paint ? "brush" : "eraser"; }
    QString title() const override { return mode_ == Mode::Paint ? tr("Brush") : tr("Eraser"); }
    QString help() const override;
    QKeySequence shortcut() const override { return QKeySequence(mode_ == Mode::Paint ? Qt::Key_B : Qt::Key_X); }
    QCursor cursor() const override { return Qt::BlankCursor; }

    void mousePress(const ToolMouseEvent& event) override;
    void mouseMove(const ToolMouseEvent& event) override;
    void mouseRelease(const ToolMouseEvent& event) override;
    void paintOverlay(QPainter& painter, const ViewTransform& view) const override;
    bool cancel() override;
    bool hasPendingWork() const override { return stroking_; }

    // Shared by brush and eraser; stored in the settings.
    static int sizePx();
    static void setSizePx(int size_px);

private:
    void paintSegment(QPointF from, QPointF to);
    void finishStroke();

    Mode mode_;
    bool stroking_ = false;
    std::uint64_t target_ = 0;  // 0: a new instance (brush)
    cv::Mat1b mask_;            // working copy of the target's mask
    QPainterPath stroke_;       // image coordinates, for the preview
    QPointF last_;
    QPointF cursor_widget_;
    bool cursor_inside_ = false;
};

}  // namespace samlabel::ui
