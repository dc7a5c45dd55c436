#pragma once
// Why a load cannot serve the parts it asks for whatever the memory says:
// text prompts need the checkpoint folder's tokenizer files, which the engine
// reads only at load. Every preflight (this process, a model process not yet
// started, a server) says it before Load, in the same words.
#include "core/engine/model_session.h"

#include <QString>

namespace samlabel::service {

// "" when the request's parts can load from its folder.
QString detection_blocker(const engine::LoadRequest& request);

}  // namespace samlabel::service
