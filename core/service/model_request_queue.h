#pragma once
// The one place that decides what the model thread does next. Every request
// to the model (from the SAM tool, the control API, the model panel, the image
// browser) ends up here through ModelWorker; no caller keeps its own
// "newest wins" rule.
//
// Priority, highest first:
//   unload > load > adding parts > newest click > newest detect >
//   image on screen (newest first) > encode-ahead (in the order given).
// Supersession (the superseded request never runs; push() returns it so its
// caller can be told):
//   - unload drops every pending load, parts, click, detect and encode;
//   - load drops a pending unload and an older load (the newer command wins);
//   - adding parts drops an older pending add (the caller merges the parts);
//   - a click drops an older pending click on the same image from the same
//     source; a detect likewise;
//   - an image on screen drops the older image on screen of the same source
//     (the same image again is the same request) and takes that image out of
//     encode-ahead;
//   - setEncodeAhead() replaces the whole encode-ahead list.
// Scheduling only: the queue knows kinds, ids, sources and image ids; the
// prompts and load options stay with the caller (keyed by the id). Not
// thread-safe: ModelWorker guards it with its mutex. Qt-free.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::service {

enum class ModelRequestKind { Unload, Load, AddParts, Segment, Detect, EncodeCurrent, EncodeAhead };

const char* model_request_kind_name(ModelRequestKind kind);

struct ModelRequest {
    ModelRequestKind kind = ModelRequestKind::Unload;
    std::uint64_t id = 0;   // given by push(); unique per queue
    std::string source;     // who asked (e.g. "" for the app, "api-encode:..." for an API upload)
    std::string image_id;   // Segment, Detect, EncodeCurrent, EncodeAhead
};

class ModelRequestQueue {
public:
    struct Pushed {
        std::uint64_t id = 0;                  // the request's id (an existing one when merged)
        std::vector<ModelRequest> superseded;  // oldest first; they will never run
    };
    // Adds a request (its id is ignored and assigned here).
    Pushed push(ModelRequest request);
    // Replaces the encode-ahead list: at most max_images, skipping images
    // already pending as an image on screen. Returns the replaced ones.
    std::vector<ModelRequest> setEncodeAhead(const std::vector<std::string>& image_ids, std::size_t max_images);
    // Removes the pending load, if any (a cancelled load).
    std::optional<ModelRequest> takeLoad();

    // The next request to run, highest priority first; removed from the queue.
    std::optional<ModelRequest> pop();
    // From inside a running encode: the click that would run next, if no
    // unload or load is waiting and `ready` says its image is encoded already.
    std::optional<ModelRequest> popClickIf(const std::function<bool(const std::string& image_id)>& ready);

    bool empty() const { return pending_.empty(); }
    std::size_t count(ModelRequestKind kind) const;
    // Anything pending that someone waits for (all but encode-ahead).
    bool hasAwaitedWork() const;

private:
    std::vector<ModelRequest> removeIf(const std::function<bool(const ModelRequest&)>& matches);
    std::deque<ModelRequest>::iterator best();

    std::deque<ModelRequest> pending_;  // in arrival order
    std::uint64_t next_id_ = 1;
};

}  // namespace samlabel::service
