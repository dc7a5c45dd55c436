#pragma once
// Concept detection on an image file through whichever model backend the SAM
// tool uses: a backend in this process or a model process reads the file
// itself (by its path); a `samlabel-cli serve` host (uploads_images) gets the
// pixels first (read off the GUI thread), then the detect. Shared by the find bar and the auto-label run.
#include "core/engine/engine_types.h"
#include "core/service/model_backend.h"

#include <QFuture>
#include <QString>

class QObject;

namespace samlabel::ui {

// The reply comes through `context`'s thread; a backend that goes away
// meanwhile answers Failed.
QFuture<service::DetectReply> detectOnImage(service::ModelBackend* backend, bool uploads_images, const QString& image_path,
                                            const engine::DetectPrompt& prompt, const engine::DetectOptions& options,
                                            QObject* context);

}  // namespace samlabel::ui
