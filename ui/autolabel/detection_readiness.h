#pragma once
// Whether concept detection can run now, said before a run starts: the
// loaded model's parts, or the memory preflight of adding detection to it
// (or of loading the model panel's choice with detection), and the model's
// identity for the recipe (checkpoint fingerprint + dtype). Computed off the
// GUI thread: the preflight and the fingerprint read the checkpoint's headers.
#include "core/autolabel/autolabel_recipe.h"

#include <QFuture>
#include <QString>

#include <optional>

namespace samlabel::ui {

class ModelUi;

struct DetectionReadiness {
    bool ready = false;    // detection is loaded: a run can start
    bool can_add = false;  // a model without detection is loaded and adding it fits
    QString text;          // one paragraph for the user
    std::optional<autolabel::ModelIdentity> identity;  // when ready
};

QFuture<DetectionReadiness> checkDetectionReadiness(ModelUi* model);

// Adds the detect parts to the loaded model (only their tensors are read).
void addDetectionParts(ModelUi* model);

}  // namespace samlabel::ui
