#include "core/service/model_request_queue.h"

#include <algorithm>

namespace samlabel::service {

namespace {

using Kind = ModelRequestKind;

// Lower runs first.
int rank(Kind kind) {
    switch (kind) {
        case Kind::Unload: return 0;
        case Kind::Load: return 1;
        case Kind::AddParts: return 2;
        case Kind::Segment: return 3;
        case Kind::Detect: return 4;
        case Kind::EncodeCurrent: return 5;
        case Kind::EncodeAhead: return 6;
    }
    return 7;
}

// Within a kind: what the annotator did last matters most, except for
// encode-ahead, which follows the folder's order.
bool newest_first(Kind kind) { return kind != Kind::EncodeAhead; }

}  // namespace

const char* model_request_kind_name(ModelRequestKind kind) {
    switch (kind) {
        case Kind::Unload: return "unload";
        case Kind::Load: return "load";
        case Kind::AddParts: return "add-parts";
        case Kind::Segment: return "segment";
        case Kind::Detect: return "detect";
        case Kind::EncodeCurrent: return "encode-on-screen";
        case Kind::EncodeAhead: return "encode-ahead";
    }
    return "?";
}

std::vector<ModelRequest> ModelRequestQueue::removeIf(const std::function<bool(const ModelRequest&)>& matches) {
    std::vector<ModelRequest> removed;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (matches(*it)) {
            removed.push_back(std::move(*it));
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    return removed;
}

ModelRequestQueue::Pushed ModelRequestQueue::push(ModelRequest request) {
    Pushed out;
    const auto same_kind_source = [&](const ModelRequest& r) { return r.kind == request.kind && r.source == request.source; };
    switch (request.kind) {
        case Kind::Unload:
            out.superseded = removeIf([](const ModelRequest&) { return true; });
            break;
        case Kind::Load:
            out.superseded = removeIf([](const ModelRequest& r) { return r.kind == Kind::Unload || r.kind == Kind::Load; });
            break;
        case Kind::AddParts:
            out.superseded = removeIf([](const ModelRequest& r) { return r.kind == Kind::AddParts; });
            break;
        case Kind::Segment:
        case Kind::Detect:
            out.superseded =
                removeIf([&](const ModelRequest& r) { return same_kind_source(r) && r.image_id == request.image_id; });
            break;
        case Kind::EncodeCurrent: {
            const auto same = std::find_if(pending_.begin(), pending_.end(), [&](const ModelRequest& r) {
                return same_kind_source(r) && r.image_id == request.image_id;
            });
            if (same != pending_.end()) {  // asked again while waiting: one request
                out.id = same->id;
                return out;
            }
            out.superseded = removeIf([&](const ModelRequest& r) {
                return same_kind_source(r) || (r.kind == Kind::EncodeAhead && r.image_id == request.image_id);
            });
            break;
        }
        case Kind::EncodeAhead:
            break;  // setEncodeAhead() replaces the list; one more is simply appended
    }
    request.id = next_id_++;
    out.id = request.id;
    pending_.push_back(std::move(request));
    return out;
}

std::vector<ModelRequest> ModelRequestQueue::setEncodeAhead(const std::vector<std::string>& image_ids, std::size_t max_images) {
    std::vector<ModelRequest> replaced = removeIf([](const ModelRequest& r) { return r.kind == Kind::EncodeAhead; });
    std::size_t added = 0;
    for (const std::string& image : image_ids) {
        if (added >= max_images) break;
        const bool on_screen = std::any_of(pending_.begin(), pending_.end(), [&](const ModelRequest& r) {
            return (r.kind == Kind::EncodeCurrent || r.kind == Kind::EncodeAhead) && r.image_id == image;
        });
        if (on_screen) continue;
        pending_.push_back(ModelRequest{Kind::EncodeAhead, next_id_++, {}, image});
        ++added;
    }
    return replaced;
}

std::optional<ModelRequest> ModelRequestQueue::takeLoad() {
    std::vector<ModelRequest> removed = removeIf([](const ModelRequest& r) { return r.kind == Kind::Load; });
    if (removed.empty()) return std::nullopt;
    return std::move(removed.back());
}

std::deque<ModelRequest>::iterator ModelRequestQueue::best() {
    auto chosen = pending_.end();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (chosen == pending_.end() || rank(it->kind) < rank(chosen->kind) ||
            (it->kind == chosen->kind && newest_first(it->kind)))  // later in arrival order = newer
            chosen = it;
    }
    return chosen;
}

std::optional<ModelRequest> ModelRequestQueue::pop() {
    const auto it = best();
    if (it == pending_.end()) return std::nullopt;
    ModelRequest request = std::move(*it);
    pending_.erase(it);
    return request;
}

std::optional<ModelRequest> ModelRequestQueue::popClickIf(const std::function<bool(const std::string& image_id)>& ready) {
    const auto it = best();
    // An unload or a load waits for the encode (it cannot be interrupted); a
    // click on an image not encoded yet needs the running encode or the next.
    if (it == pending_.end() || it->kind != Kind::Segment || !ready(it->image_id)) return std::nullopt;
    ModelRequest request = std::move(*it);
    pending_.erase(it);
    return request;
}

std::size_t ModelRequestQueue::count(ModelRequestKind kind) const {
    return std::size_t(std::count_if(pending_.begin(), pending_.end(), [&](const ModelRequest& r) { return r.kind == kind; }));
}

bool ModelRequestQueue::hasAwaitedWork() const {
    return std::any_of(pending_.begin(), pending_.end(), [](const ModelRequest& r) { return r.kind != Kind::EncodeAhead; });
}

}  // namespace samlabel::service
