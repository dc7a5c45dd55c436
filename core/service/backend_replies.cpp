#include "core/service/backend_replies.h"

namespace samlabel::service {

const char* backend_error_name(BackendError error) {
    switch (error) {
        case BackendError::None: return "none";
        case BackendError::NotLoaded: return "not_loaded";
        case BackendError::Refused: return "refused";
        case BackendError::Busy: return "busy";
        case BackendError::NoLastModel: return "no_last_model";
        case BackendError::BadInput: return "bad_input";
        case BackendError::UnknownImage: return "unknown_image";
        case BackendError::Cancelled: return "cancelled";
        case BackendError::Unreachable: return "unreachable";
        case BackendError::Failed: return "failed";
    }
    return "failed";
}

}  // namespace samlabel::service
