#pragma once
// A tool driven by positive/negative points and a box (GrabCut now, SAM later).
// Q and E pick the polarity of the next point on the preferred prompt tool.
#include "ui/tools/tool.h"

namespace samlabel::ui {

enum class PointLabel { Positive = 1, Negative };

class PromptTool : public Tool {
    Q_OBJECT
public:
    using Tool::Tool;
    virtual void setPointLabel(PointLabel label) {
        point_label_ = label;
        emit overlayChanged();
    }
    PointLabel pointLabel() const { return point_label_; }

protected:
    PointLabel point_label_ = PointLabel::Positive;
};

}  // namespace samlabel::ui
