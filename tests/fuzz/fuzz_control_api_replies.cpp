// libFuzzer target: what a control API client (RemoteModelBackend, and through
// it the GUI's model process, ChildProcessModelBackend) reads from a server's
// answers. A broken or hostile server must never crash the GUI. The first byte
// picks how the rest arrives, as ControlApiClient dispatches on Content-Type:
//  even: a mask frame body (application/vnd.samlabel.masks) through
//        unframe_masks, then the segment answer's parser with its bits;
//  odd:  a JSON body (parsed as the client does: not an object reads as {})
//        through every answer parser: /health (+ gpus, load_progress),
//        /api/v1/memory, load, unload, preflight, encode, segment, detect,
//        encode-events.
// A parser that refuses must say why; one that accepts must hand out masks
// of the size it claims (the SAM tool and the find bar index them by it).
#include "core/service/control_api_mask_frame.h"
#include "core/service/control_api_replies.h"
#include "core/service/encode_events.h"
#include "tests/fuzz/fuzz_support.h"

#include <QJsonDocument>

using namespace samlabel;
using namespace samlabel::service;

namespace {

void check_mask(const std::vector<std::uint8_t>& mask, int width, int height, const char* what) {
    if (width <= 0 || height <= 0 || mask.size() != std::size_t(width) * std::size_t(height)) fuzz::invariant_failed(what);
    for (std::uint8_t v : mask)
        if (v > 1) fuzz::invariant_failed("a mask pixel that is neither 0 nor 1");
}

void segment(const QJsonObject& json, const QByteArray& frame, qsizetype bits_offset) {
    QString error;
    const std::optional<engine::SegmentResult> result = wire::segment_result_from_json(json, &error, frame, bits_offset);
    if (!result) {
        if (error.isEmpty()) fuzz::invariant_failed("a refused segment answer without a message");
        return;
    }
    for (const engine::MaskCandidate& c : result->candidates)
        check_mask(c.mask, c.width, c.height, "an accepted segment candidate whose mask is not width x height");
}

void frame_body(const QByteArray& body) {
    const std::optional<wire::MaskFrame> frame = wire::unframe_masks(body);
    if (!frame) return;  // the client then has an empty answer: "the answer lacks the bits"
    if (frame->bits_offset < 8 || frame->bits_offset > frame->body.size()) fuzz::invariant_failed("mask bits outside the frame");
    segment(frame->json, frame->body, frame->bits_offset);
}

void json_body(const QByteArray& body) {
    const QJsonObject json = QJsonDocument::fromJson(body).object();  // ControlApiClient's reading
    (void)wire::status_from_json(json);
    (void)wire::gpus_from_json(json.value(QStringLiteral("gpus")).toArray());
    (void)wire::load_progress_from_json(json.value(QStringLiteral("load_progress")));
    (void)wire::memory_from_json(json);
    (void)wire::load_reply_from_json(json);
    (void)wire::unload_reply_from_json(json);
    (void)wire::encode_reply_from_json(json);
    (void)wire::backend_error_from_code(json.value(QStringLiteral("error")).toString());
    const PreflightReply preflight = wire::preflight_reply_from_json(json);
    if (preflight.report) (void)preflight.loadable();
    segment(json, {}, 0);
    QString error;
    quint64 last_seq = 0;
    if (const auto events = wire::encode_events_from_json(json, &last_seq, &error)) {
        for (const EncodeEvent& e : *events)
            if (e.seq == 0 || e.image_id.isEmpty()) fuzz::invariant_failed("an accepted encode event without a seq or an image id");
    } else if (error.isEmpty()) {
        fuzz::invariant_failed("refused encode events without a message");
    }
    error.clear();
    const std::optional<DetectReply> detect = wire::detect_reply_from_json(json, &error);
    if (!detect) {
        if (error.isEmpty()) fuzz::invariant_failed("a refused detect answer without a message");
        return;
    }
    for (const engine::Detection& det : detect->result.detections)
        if (!det.mask.empty()) check_mask(det.mask, det.width, det.height, "an accepted detection whose mask is not the image's size");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const QByteArray body(reinterpret_cast<const char*>(data + 1), qsizetype(size - 1));
    if (data[0] % 2 == 0)
        frame_body(body);
    else
        json_body(body);
    return 0;
}
