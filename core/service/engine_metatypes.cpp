#include "core/service/engine_metatypes.h"

namespace samlabel::service {

void register_engine_metatypes() {
    qRegisterMetaType<samlabel::engine::SessionState>("samlabel::engine::SessionState");
    qRegisterMetaType<samlabel::engine::LoadOutcome>("samlabel::engine::LoadOutcome");
    qRegisterMetaType<samlabel::engine::EncodeOutcome>("samlabel::engine::EncodeOutcome");
    qRegisterMetaType<samlabel::engine::UnloadReport>("samlabel::engine::UnloadReport");
    qRegisterMetaType<samlabel::engine::SegmentResult>("samlabel::engine::SegmentResult");
    qRegisterMetaType<samlabel::engine::ClickPrompt>("samlabel::engine::ClickPrompt");
    qRegisterMetaType<samlabel::engine::DetectResult>("samlabel::engine::DetectResult");
    qRegisterMetaType<samlabel::engine::DetectPrompt>("samlabel::engine::DetectPrompt");
    qRegisterMetaType<samlabel::engine::DetectOptions>("samlabel::engine::DetectOptions");
    qRegisterMetaType<samlabel::engine::PartSet>("samlabel::engine::PartSet");
    qRegisterMetaType<samlabel::engine::LoadRequest>("samlabel::engine::LoadRequest");
    qRegisterMetaType<samlabel::engine::BudgetSettings>("samlabel::engine::BudgetSettings");
    qRegisterMetaType<Handoff<samlabel::engine::SegmentResult>>("samlabel::service::Handoff<samlabel::engine::SegmentResult>");
    qRegisterMetaType<Handoff<samlabel::engine::DetectResult>>("samlabel::service::Handoff<samlabel::engine::DetectResult>");
}

}  // namespace samlabel::service
