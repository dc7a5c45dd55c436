#pragma once
// Engine value types carried by queued signals between the model worker's
// thread and the GUI thread.
#include "core/engine/engine_types.h"
#include "core/engine/model_session.h"
#include "core/service/handoff.h"

#include <QMetaType>

Q_DECLARE_METATYPE(samlabel::engine::SessionState)
Q_DECLARE_METATYPE(samlabel::engine::LoadOutcome)
Q_DECLARE_METATYPE(samlabel::engine::EncodeOutcome)
Q_DECLARE_METATYPE(samlabel::engine::UnloadReport)
Q_DECLARE_METATYPE(samlabel::engine::SegmentResult)
Q_DECLARE_METATYPE(samlabel::engine::ClickPrompt)
Q_DECLARE_METATYPE(samlabel::engine::DetectResult)
Q_DECLARE_METATYPE(samlabel::engine::DetectPrompt)
Q_DECLARE_METATYPE(samlabel::engine::DetectOptions)
Q_DECLARE_METATYPE(samlabel::engine::PartSet)
Q_DECLARE_METATYPE(samlabel::engine::LoadRequest)
Q_DECLARE_METATYPE(samlabel::engine::BudgetSettings)
Q_DECLARE_METATYPE(samlabel::service::Handoff<samlabel::engine::SegmentResult>)
Q_DECLARE_METATYPE(samlabel::service::Handoff<samlabel::engine::DetectResult>)

namespace samlabel::service {
// Registers the types above by name (for string-based connections and QVariant).
void register_engine_metatypes();
}  // namespace samlabel::service
