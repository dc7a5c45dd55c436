// libFuzzer target: what the control API reads from a client. The first byte
// picks the layer:
//  even: the raw bytes of a connection, cut into chunks as they might arrive,
//        through RequestFramer (the size guard before any body is buffered)
//        and through the click channel's ChannelMessageReader, each message
//        then read as a request and as an answer;
//  odd:  a request body through parse_request_body, then the segment,
//        detect, load and images-in-view request parsers, and the
//        Authorization header parser.
// Malformed input must give the 4xx answer with its message, never a crash.
#include "core/service/api_token.h"
#include "core/service/click_channel_wire.h"
#include "core/service/control_api_requests.h"
#include "core/service/images_in_view_request.h"
#include "tests/fuzz/fuzz_support.h"

#include <QDir>

#include <cmath>

using namespace samlabel;
using namespace samlabel::service;

namespace {

void frame(const std::uint8_t* data, std::size_t size) {
    wire::ChannelMessageReader channel(4096);
    auto channel_messages = [&channel] {
        while (std::optional<QByteArray> message = channel.next()) {
            if (message->size() > 4096) fuzz::invariant_failed("a click channel message over the cap");
            QString error;
            if (!wire::parse_channel_request(*message, &error) && error.isEmpty()) fuzz::invariant_failed("a refused channel request without a reason");
            error.clear();
            const std::optional<wire::ChannelAnswer> answer = wire::parse_channel_answer(*message, &error);
            if (!answer && error.isEmpty()) fuzz::invariant_failed("a refused channel answer without a reason");
            if (answer && (answer->status < 100 || answer->status > 599 || answer->body_offset > answer->payload.size()))
                fuzz::invariant_failed("an accepted channel answer out of range");
            if (answer && answer->kind == wire::ChannelBodyKind::SharedMaskFrame) {
                // The place a hostile server names must lie inside the region, however the numbers wrap.
                constexpr quint64 kRegion = 1 << 20;
                error.clear();
                const std::optional<wire::SharedFrame> place = wire::parse_shared_frame_body(answer->payload, answer->body_offset, kRegion, &error);
                if (!place && error.isEmpty()) fuzz::invariant_failed("a refused shared answer without a reason");
                if (place && (place->offset > kRegion || place->length > kRegion - place->offset))
                    fuzz::invariant_failed("an accepted shared answer outside the region");
            }
        }
    };
    RequestFramer framer([](const QByteArray& path) {
        return path.startsWith("/api/v1/") ? wire::kMaxUploadBodyBytes : wire::kMaxSmallBodyBytes;
    });
    // Chunk sizes come from the input's first bytes, the rest is the stream.
    const std::size_t header = std::min<std::size_t>(size, 4);
    std::size_t pos = header;
    for (std::size_t i = 0; pos < size; ++i) {
        const std::size_t take = std::min<std::size_t>(size - pos, 1 + (header ? data[i % header] : 0) * 7);
        const auto refusal = framer.feed(QByteArray(reinterpret_cast<const char*>(data + pos), qsizetype(take)));
        if (!channel.failed() && !channel.feed(reinterpret_cast<const char*>(data + pos), qsizetype(take)) && channel.error().isEmpty())
            fuzz::invariant_failed("the click channel's reader stopped without a reason");
        channel_messages();
        if (refusal) {
            if (refusal->status != 411 && refusal->status != 413 && refusal->status != 431)
                fuzz::invariant_failed("a refusal with an unexpected status");
            if (refusal->drain_bytes < 0 || refusal->message.isEmpty()) fuzz::invariant_failed("a refusal without a message");
        }
        pos += take;
    }
}

void check_finite_prompt(float v) {
    if (!std::isfinite(v)) fuzz::invariant_failed("an accepted prompt holds a non-finite coordinate");
}

void body(const std::uint8_t* data, std::size_t size) {
    const QByteArray raw(reinterpret_cast<const char*>(data), qsizetype(size));
    (void)bearer_token(raw.left(200));
    RequestError error;
    const std::optional<QJsonObject> json = parse_request_body(raw, /*is_post=*/true, wire::kMaxSmallBodyBytes, &error);
    if (!json) {
        if (error.message.isEmpty() || (error.status != 400 && error.status != 413)) fuzz::invariant_failed("a refusal without a message");
        return;
    }
    QString message;
    if (const auto segment = wire::parse_segment_request(*json, &message)) {
        for (const auto& p : segment->prompt.points) {
            check_finite_prompt(p.x);
            check_finite_prompt(p.y);
        }
        if (segment->prompt.box)
            for (float v : {segment->prompt.box->x0, segment->prompt.box->y0, segment->prompt.box->x1, segment->prompt.box->y1})
                check_finite_prompt(v);
    } else if (message.isEmpty()) {
        fuzz::invariant_failed("a refused segment request without a message");
    }
    message.clear();
    if (const auto detect = wire::parse_detect_request(*json, &message)) {
        for (const auto& b : detect->prompt.boxes)
            for (float v : {b.x0, b.y0, b.x1, b.y1}) check_finite_prompt(v);
        if (detect->prompt.text.size() > std::size_t(wire::kMaxDetectTextBytes)) fuzz::invariant_failed("an over-long text was accepted");
    } else if (message.isEmpty()) {
        fuzz::invariant_failed("a refused detect request without a message");
    }
    message.clear();
    if (const auto load = wire::parse_load_request(*json, &message)) {
        if (!load->weights.isEmpty() && !QDir::isAbsolutePath(load->weights)) fuzz::invariant_failed("a relative weights folder was accepted");
        for (const auto& budget : {load->keep_free_ram_bytes, load->max_vram_bytes})
            if (budget && *budget > std::uint64_t(wire::kMaxBudgetMb) * 1024 * 1024) fuzz::invariant_failed("a budget beyond the cap was accepted");
    } else if (message.isEmpty()) {
        fuzz::invariant_failed("a refused load request without a message");
    }
    message.clear();
    if (const auto in_view = wire::parse_images_in_view_request(*json, &message)) {
        // The server reads these paths: never a relative one, never more than the cap.
        if (!in_view->on_screen.isEmpty() && !QDir::isAbsolutePath(in_view->on_screen)) fuzz::invariant_failed("a relative path on screen was accepted");
        if (in_view->ahead.size() > wire::kMaxImagesAhead) fuzz::invariant_failed("more images ahead than the cap were accepted");
        for (const QString& path : in_view->ahead)
            if (path.isEmpty() || !QDir::isAbsolutePath(path)) fuzz::invariant_failed("an empty or relative path ahead was accepted");
    } else if (message.isEmpty()) {
        fuzz::invariant_failed("a refused images-in-view request without a message");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    if (data[0] % 2 == 0)
        frame(data + 1, size - 1);
    else
        body(data + 1, size - 1);
    return 0;
}
