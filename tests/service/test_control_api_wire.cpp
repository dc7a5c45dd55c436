// The control API's wire format for /api/v1/detect, on its own (no server):
// the request survives to_json -> JSON text -> parse_detect_request; every bad
// field is refused with a message naming it; the answer survives
// detect_result_to_json -> JSON text -> detect_reply_from_json bit for bit
// (scores, boxes, masks); masks are single-channel 0/255 PNGs and polygons come
// from the same helper as /segment's.
#include "core/service/control_api_load_wire.h"
#include "core/service/control_api_mask_frame.h"
#include "core/service/control_api_runtime_wire.h"
#include "core/service/control_api_wire.h"
#include "core/service/kept_mask_logits.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

using namespace samlabel;
using namespace samlabel::service;

namespace {

QJsonObject through_text(const QJsonObject& o) {
    return QJsonDocument::fromJson(QJsonDocument(o).toJson(QJsonDocument::Compact)).object();
}

// A w x h 0/1 mask set where inside(x, y).
template <typename F>
std::vector<std::uint8_t> make_mask(int w, int h, F inside) {
    std::vector<std::uint8_t> m(std::size_t(w) * h, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) m[std::size_t(y) * w + x] = inside(x, y) ? 1 : 0;
    return m;
}

// Two detections with masks of different shapes (one with a hole), scores and
// boxes that are not round in binary, every query's score and box.
DetectReply sample_reply() {
    constexpr int W = 37, H = 29;
    DetectReply reply;
    reply.width = W;
    reply.height = H;
    reply.duration_ms = 12.5;
    engine::DetectResult& r = reply.result;
    engine::Detection a;
    a.query = 3;
    a.score = 0.1f / 3.f + 0.5f;
    a.box = {1.1f, 2.2f, 15.3f, 20.7f};
    a.width = W;
    a.height = H;
    a.mask = make_mask(W, H, [](int x, int y) { return x >= 2 && x < 15 && y >= 3 && y < 20; });
    engine::Detection b;
    b.query = 11;
    b.score = 0.987654321f;
    b.box = {-3.25f, 10.f, 40.0625f, 28.9f};  // not clipped, as the reference
    b.width = W;
    b.height = H;
    b.mask = make_mask(W, H, [](int x, int y) {
        const bool ring = x >= 20 && x < 34 && y >= 8 && y < 26;
        const bool hole = x >= 24 && x < 30 && y >= 12 && y < 20;
        return ring && !hole;
    });
    r.detections = {a, b};
    for (int q = 0; q < 16; ++q) {
        r.query_scores.push_back(q == 3 ? a.score : q == 11 ? b.score : float(q) / 97.f);
        r.query_boxes.push_back({float(q) * 1.01f, float(q) / 3.f, float(q) + 5.5f, float(q) * 2.f + 0.125f});
    }
    r.presence_score = 0.7071f;
    r.token_ids = {49406, 736, 1615, 49407};
    r.text_from_cache = true;
    r.text_ms = 0.25;
    r.detect_ms = 31.5;
    r.masks_ms = 2.75;
    return reply;
}

void compare_results(const DetectReply& got, const DetectReply& want, bool with_masks) {
    QCOMPARE(got.width, want.width);
    QCOMPARE(got.height, want.height);
    const engine::DetectResult &g = got.result, &w = want.result;
    QCOMPARE(g.detections.size(), w.detections.size());
    for (std::size_t i = 0; i < w.detections.size(); ++i) {
        QCOMPARE(g.detections[i].query, w.detections[i].query);
        QCOMPARE(g.detections[i].score, w.detections[i].score);  // exact: float -> double -> text -> float
        QCOMPARE(g.detections[i].box.x0, w.detections[i].box.x0);
        QCOMPARE(g.detections[i].box.y0, w.detections[i].box.y0);
        QCOMPARE(g.detections[i].box.x1, w.detections[i].box.x1);
        QCOMPARE(g.detections[i].box.y1, w.detections[i].box.y1);
        QCOMPARE(g.detections[i].width, w.detections[i].width);
        QCOMPARE(g.detections[i].height, w.detections[i].height);
        if (with_masks) QVERIFY(g.detections[i].mask == w.detections[i].mask);
        else QVERIFY(g.detections[i].mask.empty());
    }
    QVERIFY(g.query_scores == w.query_scores);
    QCOMPARE(g.query_boxes.size(), w.query_boxes.size());
    for (std::size_t i = 0; i < w.query_boxes.size(); ++i) {
        QCOMPARE(g.query_boxes[i].x0, w.query_boxes[i].x0);
        QCOMPARE(g.query_boxes[i].y1, w.query_boxes[i].y1);
    }
    QCOMPARE(g.presence_score, w.presence_score);
    QVERIFY(g.token_ids == w.token_ids);
    QCOMPARE(g.text_from_cache, w.text_from_cache);
    QCOMPARE(g.text_ms, w.text_ms);
    QCOMPARE(g.detect_ms, w.detect_ms);
    QCOMPARE(g.masks_ms, w.masks_ms);
}

}  // namespace

class TestControlApiWire : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A client's load budgets may be stricter than serve's, never looser.
    void loadBudgetsNeverLoosenTheOperators() {
        using samlabel::engine::BudgetSettings;
        const std::uint64_t GiB = 1ull << 30;
        const BudgetSettings floor{4 * GiB, 8 * GiB};  // keep 4 GiB free, at most 8 GiB of VRAM
        wire::LoadOptionsRequest none;
        none.device = samlabel::engine::DeviceSpec{samlabel::engine::DeviceKind::Cpu, 0};
        BudgetSettings b = wire::budget_from(none, floor);
        QCOMPARE(b.keep_free_ram_bytes, 4 * GiB);
        QCOMPARE(b.max_vram_bytes, 8 * GiB);
        wire::LoadOptionsRequest looser = none;
        looser.keep_free_ram_bytes = 1 * GiB;
        looser.max_vram_bytes = 20 * GiB;
        b = wire::budget_from(looser, floor);
        QCOMPARE(b.keep_free_ram_bytes, 4 * GiB);
        QCOMPARE(b.max_vram_bytes, 8 * GiB);
        wire::LoadOptionsRequest stricter = none;
        stricter.keep_free_ram_bytes = 6 * GiB;
        stricter.max_vram_bytes = 2 * GiB;
        b = wire::budget_from(stricter, floor);
        QCOMPARE(b.keep_free_ram_bytes, 6 * GiB);
        QCOMPARE(b.max_vram_bytes, 2 * GiB);
        // No operator cap: the client's own stands; no cap anywhere: 0.
        b = wire::budget_from(stricter, BudgetSettings{});
        QCOMPARE(b.max_vram_bytes, 2 * GiB);
        QCOMPARE(wire::budget_from(none, BudgetSettings{}).max_vram_bytes, std::uint64_t(0));
    }
    // The model process's clicks: masks as packed bits after the JSON, every
    // size (not only multiples of 8 pixels), any non-zero byte a 1.
    void segmentAnswerAsMaskFrame_data() {
        QTest::addColumn<int>("encoding");
        QTest::newRow("raw: bits") << int(wire::MaskEncoding::Raw);
        QTest::newRow("runs: blocks") << int(wire::MaskEncoding::Runs);
    }
    void segmentAnswerAsMaskFrame() {
        QFETCH(int, encoding);
        const auto masks_as = wire::MaskEncoding(encoding);
        const auto coding = masks_as == wire::MaskEncoding::Runs ? wire::MaskFrameCoding::Blocks : wire::MaskFrameCoding::Bits;
        for (const auto& [w, h] : {std::pair{7, 3}, std::pair{8, 1}, std::pair{13, 11}, std::pair{200, 150}, std::pair{640, 480}}) {
            engine::SegmentResult result;
            for (int c = 0; c < 3; ++c) {
                engine::MaskCandidate m;
                m.width = w;
                m.height = h;
                m.predicted_iou = 0.25f * float(c + 1);
                // Candidate 0 speckled (sent as bits either way), 1 and 2 blobs (runs, when large enough to pay).
                for (int i = 0; i < w * h; ++i) {
                    const int x = i % w, y = i / w;
                    const bool on = c == 0 ? (i * 7 + c * 3) % 5 < 2 : (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < (w * w) / (8 * c);
                    m.mask.push_back(std::uint8_t(on ? (i % 2 ? 1 : 255) : 0));
                }
                result.candidates.push_back(std::move(m));
            }
            const QJsonObject json = wire::segment_result_to_json(QStringLiteral("x"), result, masks_as, false);
            QCOMPARE(json.value(QStringLiteral("masks")).toString(), wire::mask_encoding_name(masks_as));
            QVERIFY(!json.value(QStringLiteral("candidates")).toArray()[0].toObject().contains(QStringLiteral("mask_png_base64")));
            QVERIFY(!json.value(QStringLiteral("candidates")).toArray()[0].toObject().contains(QStringLiteral("polygons")));
            std::vector<const std::vector<std::uint8_t>*> masks;
            for (const auto& c : result.candidates) masks.push_back(&c.mask);
            const QByteArray body = wire::frame_masks(json, masks, coding);
            const std::optional<wire::MaskFrame> frame = wire::unframe_masks(body);
            QVERIFY(frame);
            // The two blobs of a large answer take a few KB as runs, not w x h / 8 each as bits.
            if (masks_as == wire::MaskEncoding::Runs && w * h >= 640 * 480)
                QVERIFY2(body.size() - frame->bits_offset < (w * h) / 8 * 3 / 2, qPrintable(QString::number(body.size())));
            QString error;
            const auto back = wire::segment_result_from_json(frame->json, &error, frame->body, frame->bits_offset);
            QVERIFY2(back, qPrintable(error));
            QCOMPARE(int(back->candidates.size()), 3);
            for (int c = 0; c < 3; ++c) {
                const engine::MaskCandidate& m = back->candidates[std::size_t(c)];
                QCOMPARE(m.width, w);
                QCOMPARE(m.height, h);
                QCOMPARE(m.predicted_iou, 0.25f * float(c + 1));
                QCOMPARE(int(m.mask.size()), w * h);
                for (int i = 0; i < w * h; ++i)
                    QCOMPARE(int(m.mask[std::size_t(i)]), result.candidates[std::size_t(c)].mask[std::size_t(i)] ? 1 : 0);
            }
            // A frame cut short is refused, never read past its end.
            const auto cut = wire::unframe_masks(body.left(body.size() - 1));
            QVERIFY(cut);
            QVERIFY(!wire::segment_result_from_json(cut->json, &error, cut->body, cut->bits_offset));
            QVERIFY2(error.contains(QStringLiteral("candidates[2]")), qPrintable(error));
        }
        QVERIFY(!wire::unframe_masks(QByteArray("SLM1\xff\xff\xff\x7f{}")));
        QVERIFY(!wire::unframe_masks(QByteArray("{\"candidates\": []}")));
    }

    // The layout the header documents, worked out by hand: pixel k of a byte
    // in its bit k, whatever path packs it (16 at a time, then the tail).
    void maskFrameBitLayout() {
        std::vector<std::uint8_t> mask(37, 0);
        for (int i : {0, 3, 9, 17, 18, 31, 36}) mask[std::size_t(i)] = (i % 2) ? 1 : 200;
        const QByteArray body = wire::frame_masks(QJsonObject{}, {&mask});
        const std::optional<wire::MaskFrame> frame = wire::unframe_masks(body);
        QVERIFY(frame);
        const QByteArray bits = body.mid(frame->bits_offset);
        // pixels 0,3 -> 0x09; 9 -> bit 1 of byte 1; 17,18 -> bits 1,2 of byte 2; 31 -> bit 7 of byte 3; 36 -> bit 4 of byte 4.
        QCOMPARE(bits, QByteArray::fromHex("0902068010"));
        std::vector<std::uint8_t> back;
        QVERIFY(wire::unpack_mask(body, frame->bits_offset, mask.size(), 0, &back));
        QCOMPARE(int(back.size()), 37);
        for (int i = 0; i < 37; ++i) QCOMPARE(int(back[std::size_t(i)]), mask[std::size_t(i)] ? 1 : 0);
    }

    // Blocks worked out by hand: runs are LEB128 lengths, 0s first; a mask
    // whose runs would not pay goes as bits.
    void maskFrameBlocksLayout() {
        std::vector<std::uint8_t> blob(1000, 0);  // 150 ones from pixel 0, 850 zeros: runs 0, 150, 850
        for (int i = 0; i < 150; ++i) blob[std::size_t(i)] = 1;
        std::vector<std::uint8_t> speckle(64, 0);  // every other pixel: 64 runs > 8 bytes of bits / 8
        for (int i = 0; i < 64; i += 2) speckle[std::size_t(i)] = 1;
        const QByteArray body = wire::frame_masks(QJsonObject{}, {&blob, &speckle}, wire::MaskFrameCoding::Blocks);
        const std::optional<wire::MaskFrame> frame = wire::unframe_masks(body);
        QVERIFY(frame);
        // 150 = 0x96 0x01; 850 = 0xd2 0x06.
        QCOMPARE(body.mid(frame->bits_offset).toHex(),
                 QByteArray("72" "05000000" "00" "9601" "d206" "62" "08000000" "5555555555555555"));
        qsizetype offset = frame->bits_offset;
        std::vector<std::uint8_t> back;
        QString error;
        QVERIFY2(wire::unpack_mask_block(body, &offset, blob.size(), &back, &error), qPrintable(error));
        QVERIFY(back == blob);
        QVERIFY2(wire::unpack_mask_block(body, &offset, speckle.size(), &back, &error), qPrintable(error));
        QVERIFY(back == speckle);
        QCOMPARE(offset, body.size());
        // Bad blocks are refused with a reason, never read past their end.
        const auto refused = [&](const QByteArray& block, std::size_t pixels, const char* why) {
            qsizetype at = 0;
            error.clear();
            if (wire::unpack_mask_block(block, &at, pixels, &back, &error)) return false;
            return error.contains(QLatin1String(why));
        };
        QVERIFY(refused(QByteArray::fromHex("7204000000009601"), 1000, "cut short"));      // 4 bytes announced, 3 there
        QVERIFY(refused(QByteArray::fromHex("7205000000009601d207"), 1000, "more than"));  // 0 + 150 + 978 > 1000
        QVERIFY(refused(QByteArray::fromHex("7203000000009601"), 1000, "cover 150 of"));   // 0 + 150 < 1000
        QVERIFY(refused(QByteArray::fromHex("720200000000ff"), 1000, "malformed"));        // a varint that never ends
        QVERIFY(refused(QByteArray::fromHex("7801000000ff"), 8, "unknown kind"));
        QVERIFY(refused(QByteArray::fromHex("620100000055"), 64, "not 64 pixels"));
        QVERIFY(refused(QByteArray::fromHex("7200"), 8, "ends before"));
        // Five bytes of runs claiming 2^30 pixels (a hostile server): refused, not allocated.
        QVERIFY(refused(QByteArray::fromHex("720500000000808080800c"), std::size_t(1) << 30, "past the limit"));
    }

    // A refinement names a candidate of an earlier answer; the server keeps the logits.
    void previousMaskByName() {
        engine::ClickPrompt prompt;
        prompt.points.push_back({3.f, 4.f, engine::PointLabel::Positive});
        prompt.multimask = false;
        engine::LowResMaskLogits named;
        named.kept_by_server = engine::LowResMaskLogits::KeptByServer{(std::uint64_t(1) << 51) + 7, 2};
        prompt.previous_mask = named;
        QString error;
        const auto back = wire::parse_segment_request(wire::to_json(QStringLiteral("a"), prompt), &error);
        QVERIFY2(back, qPrintable(error));
        QVERIFY(back->prompt.previous_mask && back->prompt.previous_mask->kept_by_server);
        QCOMPARE(back->prompt.previous_mask->kept_by_server->answer_id, (std::uint64_t(1) << 51) + 7);
        QCOMPARE(back->prompt.previous_mask->kept_by_server->candidate, 2);
        // Logits held here have no wire form: nothing is named.
        prompt.previous_mask = engine::LowResMaskLogits{2, 2, {1.f, 2.f, 3.f, 4.f}, std::nullopt};
        QVERIFY(!wire::to_json(QStringLiteral("a"), prompt).contains(QStringLiteral("previous_mask")));
        for (const char* bad : {R"(3)", R"({"candidate": 0})", R"({"answer_id": -1, "candidate": 0})", R"({"answer_id": 1.5, "candidate": 0})",
                                R"({"answer_id": 1, "candidate": 16})", R"({"answer_id": "1", "candidate": 0})"}) {
            const QByteArray body = QByteArray(R"({"image_id": "a", "points": [[1, 2, 1]], "previous_mask": )") + bad + "}";
            error.clear();
            QVERIFY2(!wire::parse_segment_request(QJsonDocument::fromJson(body).object(), &error), bad);
            QVERIFY2(error.contains(QStringLiteral("previous_mask")), qPrintable(error));
        }
        // The answer's id names every candidate's logits.
        const QJsonObject answer{{QStringLiteral("width"), 2}, {QStringLiteral("height"), 1}, {QStringLiteral("answer_id"), 123456.0},
                                 {QStringLiteral("candidates"), QJsonArray{QJsonObject{{QStringLiteral("score"), 0.5}},
                                                                           QJsonObject{{QStringLiteral("score"), 0.25}}}}};
        std::vector<std::uint8_t> a{1, 0}, b{0, 1};
        QJsonObject raw_answer = answer;
        raw_answer[QStringLiteral("masks")] = QStringLiteral("raw");
        const QByteArray frame = wire::frame_masks(raw_answer, {&a, &b});
        const auto parsed = wire::unframe_masks(frame);
        QVERIFY(parsed);
        const auto result = wire::segment_result_from_json(parsed->json, &error, parsed->body, parsed->bits_offset);
        QVERIFY2(result, qPrintable(error));
        for (int i = 0; i < 2; ++i) {
            const auto& kept = result->candidates[std::size_t(i)].low_res.kept_by_server;
            QVERIFY(kept);
            QCOMPARE(kept->answer_id, std::uint64_t(123456));
            QCOMPARE(kept->candidate, i);
        }
    }

    void keptLogitsAreFoundByAnswerCandidateAndImage() {
        KeptMaskLogits kept(2);
        const auto logits = [](float v) { return engine::LowResMaskLogits{1, 1, {v}, std::nullopt}; };
        const std::uint64_t first = kept.keep(QStringLiteral("a"), {logits(1.f), logits(2.f)});
        const std::uint64_t second = kept.keep(QStringLiteral("a"), {logits(3.f)});
        QCOMPARE(second, first + 1);
        QVERIFY(first >= (std::uint64_t(1) << 40) && second < (std::uint64_t(1) << 52));  // exact as JSON numbers
        QCOMPARE(kept.find(first, 1, QStringLiteral("a"))->logits, std::vector<float>{2.f});
        QVERIFY(!kept.find(first, 1, QStringLiteral("b")));  // another image's click
        QVERIFY(!kept.find(first, 2, QStringLiteral("a")));  // no such candidate
        QVERIFY(!kept.find(first + 99, 0, QStringLiteral("a")));
        (void)kept.keep(QStringLiteral("a"), {logits(4.f)});  // a third answer: the first is forgotten
        QVERIFY(!kept.find(first, 0, QStringLiteral("a")));
        QCOMPARE(kept.find(second, 0, QStringLiteral("a"))->logits, std::vector<float>{3.f});
        // Another server (a new model process) starts elsewhere.
        QVERIFY(KeptMaskLogits().keep(QStringLiteral("a"), {}) != first);
    }

    void detectRequestRoundTrip() {
        engine::DetectPrompt prompt;
        prompt.text = "red car \xc3\xa9";  // UTF-8 survives
        prompt.boxes = {{1.5f, 2.f, 30.25f, 40.f, true}, {5.f, 6.f, 7.f, 8.f, false}, {9.f, 9.f, 12.f, 14.f, true}};
        engine::DetectOptions options;
        options.score_threshold = 0.25f;
        options.mask_threshold = 0.625f;
        QString error;
        const auto parsed = wire::parse_detect_request(through_text(wire::to_json("img-7", prompt, options, false)), &error);
        QVERIFY2(parsed, qPrintable(error));
        QCOMPARE(parsed->image_id, QStringLiteral("img-7"));
        QVERIFY(parsed->image_bytes.isEmpty());
        QCOMPARE(parsed->prompt.text, prompt.text);
        // Positive boxes first, then the negative ones (the wire keeps two lists).
        QCOMPARE(parsed->prompt.boxes.size(), std::size_t(3));
        const engine::ExemplarBox expected[] = {prompt.boxes[0], prompt.boxes[2], prompt.boxes[1]};
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(parsed->prompt.boxes[i].x0, expected[i].x0);
            QCOMPARE(parsed->prompt.boxes[i].y0, expected[i].y0);
            QCOMPARE(parsed->prompt.boxes[i].x1, expected[i].x1);
            QCOMPARE(parsed->prompt.boxes[i].y1, expected[i].y1);
            QCOMPARE(parsed->prompt.boxes[i].positive, expected[i].positive);
        }
        QCOMPARE(parsed->options.score_threshold, 0.25f);
        QCOMPARE(parsed->options.mask_threshold, 0.625f);
        QCOMPARE(parsed->include_masks, false);

        // Defaults: the engine's thresholds, masks included; boxes alone are a prompt.
        const auto minimal = wire::parse_detect_request(
            QJsonObject{{"image_base64", QString::fromLatin1(QByteArray("png bytes").toBase64())}, {"boxes", QJsonArray{QJsonArray{1, 2, 3, 4}}}},
            &error);
        QVERIFY2(minimal, qPrintable(error));
        QCOMPARE(minimal->image_bytes, QByteArray("png bytes"));
        QVERIFY(minimal->prompt.text.empty());
        QCOMPARE(minimal->options.score_threshold, engine::DetectOptions{}.score_threshold);
        QCOMPARE(minimal->options.mask_threshold, engine::DetectOptions{}.mask_threshold);
        QCOMPARE(minimal->include_masks, true);
    }

    // POST /api/v1/runtime-settings: a body written out by hand is read into the
    // settings it names, in bytes and ms; what to_json writes reads back the same.
    void runtimeSettingsBody() {
        const QByteArray body = R"({"runtime": {"embedding_cache_mb": 300, "disk_cache_dir": "/tmp/emb",
            "auto_unload_after_ms": 1500, "encode_keep_free_ram_mb": 1024, "encode_max_vram_mb": 0},
            "converted_weights": {"dir": "", "budget_mb": 512}})";
        QString error;
        const auto update = wire::parse_runtime_settings_update(QJsonDocument::fromJson(body).object(), &error);
        QVERIFY2(update, qPrintable(error));
        QVERIFY(update->runtime && update->converted_weights);
        QCOMPARE(update->runtime->embedding_cache_bytes, std::uint64_t(300) * 1024 * 1024);
        QCOMPARE(update->runtime->disk_cache_dir, QStringLiteral("/tmp/emb"));
        QCOMPARE(update->runtime->auto_unload_after_ms, qint64(1500));
        QCOMPARE(update->runtime->encode_budget.keep_free_ram_bytes, std::uint64_t(1) << 30);
        QCOMPARE(update->runtime->encode_budget.max_vram_bytes, std::uint64_t(0));
        QVERIFY(update->converted_weights->dir.empty());  // "": off
        QCOMPARE(update->converted_weights->budget_bytes, std::uint64_t(512) << 20);
        const auto again = wire::parse_runtime_settings_update(wire::to_json(*update), &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(wire::to_json(*again), wire::to_json(*update));

        // One group alone leaves the other out.
        const auto converted_only =
            wire::parse_runtime_settings_update(QJsonDocument::fromJson(R"({"converted_weights": {"dir": "/c", "budget_mb": 8}})").object(), &error);
        QVERIFY2(converted_only, qPrintable(error));
        QVERIFY(!converted_only->runtime);
        QCOMPARE(converted_only->converted_weights->dir, std::filesystem::path("/c"));
        QVERIFY(!wire::to_json(*converted_only).contains(QStringLiteral("runtime")));
    }
    void runtimeSettingsFieldErrors_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("names");
        QByteArray runtime_ok = R"("embedding_cache_mb": 1, "disk_cache_dir": "", "auto_unload_after_ms": 0, "encode_keep_free_ram_mb": 0)";
        QTest::newRow("empty") << QByteArray("{}") << "no settings given";
        QTest::newRow("unknown group") << QByteArray(R"({"runtme": {}})") << "unknown field \"runtme\"";
        QTest::newRow("group not object") << QByteArray(R"({"runtime": 5})") << "\"runtime\" must be an object";
        QTest::newRow("missing field") << ("{\"runtime\": {" + runtime_ok + "}}") << "\"runtime.encode_max_vram_mb\" is missing";
        QTest::newRow("unknown field") << ("{\"runtime\": {" + runtime_ok + R"(, "encode_max_vram_mb": 0, "auto_unload_ms": 3}})")
                                       << "unknown field \"runtime.auto_unload_ms\"";
        QTest::newRow("negative") << ("{\"runtime\": {" + runtime_ok.replace("\"embedding_cache_mb\": 1", "\"embedding_cache_mb\": -1") +
                                      R"(, "encode_max_vram_mb": 0}})")
                                  << "\"runtime.embedding_cache_mb\" must be a whole number of MB";
        QTest::newRow("fraction") << QByteArray(R"({"converted_weights": {"dir": "", "budget_mb": 1.5}})")
                                  << "\"converted_weights.budget_mb\" must be a whole number of MB";
        QTest::newRow("string number") << QByteArray(R"({"converted_weights": {"dir": "", "budget_mb": "8"}})")
                                       << "\"converted_weights.budget_mb\"";
        QTest::newRow("relative dir") << QByteArray(R"({"converted_weights": {"dir": "cache", "budget_mb": 8}})")
                                      << "\"converted_weights.dir\" must be an absolute folder";
        QTest::newRow("dir not string") << QByteArray(R"({"converted_weights": {"dir": false, "budget_mb": 8}})")
                                        << "\"converted_weights.dir\" must be a string";
        QTest::newRow("auto-unload too long") << QByteArray(R"({"runtime": {"embedding_cache_mb": 1, "disk_cache_dir": "",
            "auto_unload_after_ms": 1e12, "encode_keep_free_ram_mb": 0, "encode_max_vram_mb": 0}})")
                                              << "\"runtime.auto_unload_after_ms\" must be a whole number of ms";
    }
    void runtimeSettingsFieldErrors() {
        QFETCH(QByteArray, body);
        QFETCH(QString, names);
        QJsonParseError parse{};
        const QJsonObject json = QJsonDocument::fromJson(body, &parse).object();
        QCOMPARE(parse.error, QJsonParseError::NoError);
        QString error;
        QVERIFY(!wire::parse_runtime_settings_update(json, &error));
        QVERIFY2(error.contains(names), qPrintable(error));
    }

    void detectRequestFieldErrors_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("names");
        QTest::newRow("no image") << QByteArray(R"({"text": "car"})") << "\"image_id\"";
        QTest::newRow("image_id number") << QByteArray(R"({"image_id": 3, "text": "car"})") << "\"image_id\"";
        QTest::newRow("image_id empty") << QByteArray(R"({"image_id": "", "text": "car"})") << "\"image_id\"";
        QTest::newRow("image_base64 number") << QByteArray(R"({"image_base64": 5, "text": "car"})") << "\"image_base64\"";
        QTest::newRow("image_base64 bad") << QByteArray(R"({"image_base64": "@@@", "text": "car"})") << "\"image_base64\"";
        QTest::newRow("no prompt") << QByteArray(R"({"image_id": "x"})") << "\"text\"";
        QTest::newRow("empty text") << QByteArray(R"({"image_id": "x", "text": ""})") << "\"text\"";
        QTest::newRow("blank text") << QByteArray(R"({"image_id": "x", "text": "  \t "})") << "\"text\" is blank";
        QTest::newRow("text number") << QByteArray(R"({"image_id": "x", "text": 7})") << "\"text\"";
        QTest::newRow("text huge") << (R"({"image_id": "x", "text": ")" + QByteArray(2000, 'a') + R"("})") << "\"text\" is 2000 bytes";
        QTest::newRow("boxes object") << QByteArray(R"({"image_id": "x", "boxes": {}})") << "\"boxes\"";
        QTest::newRow("box of 3") << QByteArray(R"({"image_id": "x", "boxes": [[1, 2, 3]]})") << "\"boxes\"[0]";
        QTest::newRow("box string") << QByteArray(R"({"image_id": "x", "boxes": [[1, 2, 3, "4"]]})") << "\"boxes\"[0]";
        QTest::newRow("box inverted") << QByteArray(R"({"image_id": "x", "boxes": [[5, 2, 3, 4]]})") << "\"boxes\"[0] must have x1 >= x0";
        QTest::newRow("negative box") << QByteArray(R"({"image_id": "x", "text": "a", "negative_boxes": [[1, 2, 3, 4], [1]]})")
                                      << "\"negative_boxes\"[1]";
        QByteArray many = R"({"image_id": "x", "boxes": [)";
        for (int i = 0; i <= wire::kMaxDetectBoxes; ++i) many += QByteArray(i ? "," : "") + "[0, 0, 1, 1]";
        QTest::newRow("too many boxes") << (many + "]}") << "\"boxes\" has more than 64";
        QTest::newRow("threshold high") << QByteArray(R"({"image_id": "x", "text": "a", "threshold": 1.5})") << "\"threshold\"";
        QTest::newRow("threshold negative") << QByteArray(R"({"image_id": "x", "text": "a", "threshold": -0.1})") << "\"threshold\"";
        QTest::newRow("threshold string") << QByteArray(R"({"image_id": "x", "text": "a", "threshold": "0.3"})") << "\"threshold\"";
        QTest::newRow("mask_threshold") << QByteArray(R"({"image_id": "x", "text": "a", "mask_threshold": 2})") << "\"mask_threshold\"";
        QTest::newRow("include_masks") << QByteArray(R"({"image_id": "x", "text": "a", "include_masks": "yes"})") << "\"include_masks\"";
        QTest::newRow("typo") << QByteArray(R"({"image_id": "x", "text": "a", "treshold": 0.3})") << "unknown field \"treshold\"";
    }
    void detectRequestFieldErrors() {
        QFETCH(QByteArray, body);
        QFETCH(QString, names);
        QJsonParseError parse{};
        const QJsonObject json = QJsonDocument::fromJson(body, &parse).object();
        QCOMPARE(parse.error, QJsonParseError::NoError);
        QString error;
        QVERIFY(!wire::parse_detect_request(json, &error));
        QVERIFY2(error.contains(names), qPrintable(error));
    }

    void detectAnswerRoundTrip() {
        const DetectReply reply = sample_reply();
        engine::DetectPrompt prompt{"red car", {}};
        engine::DetectOptions options;
        options.score_threshold = 0.4f;
        const QJsonObject json = through_text(wire::detect_result_to_json("img-1", reply, prompt, options, true));
        QCOMPARE(json.value("image_id").toString(), QStringLiteral("img-1"));
        QCOMPARE(json.value("width").toInt(), 37);
        QCOMPARE(json.value("prompt").toObject().value("text").toString(), QStringLiteral("red car"));
        QCOMPARE(json.value("prompt").toObject().value("token_count").toInt(), 4);
        QCOMPARE(json.value("threshold").toDouble(), 0.4);  // as written, not 0.40000000596
        QCOMPARE(json.value("text_cached").toBool(), true);
        for (const char* key : {"presence_score", "mask_threshold", "duration_ms", "text_ms", "detect_ms", "masks_ms", "query_scores", "query_boxes"})
            QVERIFY2(json.contains(QLatin1String(key)), key);
        const QJsonArray detections = json.value("detections").toArray();
        QCOMPARE(detections.size(), 2);
        for (qsizetype i = 0; i < detections.size(); ++i) {
            const QJsonObject d = detections[i].toObject();
            const engine::Detection& want = reply.result.detections[std::size_t(i)];
            // The PNG: one channel, 0 or 255, the image's size, the mask's pixels.
            const QByteArray png = QByteArray::fromBase64(d.value("mask_png_base64").toString().toLatin1());
            const cv::Mat mask = cv::imdecode(cv::Mat(1, int(png.size()), CV_8UC1, const_cast<char*>(png.constData())), cv::IMREAD_UNCHANGED);
            QCOMPARE(mask.channels(), 1);
            QCOMPARE(mask.cols, 37);
            QCOMPARE(mask.rows, 29);
            int area = 0;
            for (int y = 0; y < mask.rows; ++y)
                for (int x = 0; x < mask.cols; ++x) {
                    const std::uint8_t v = mask.at<std::uint8_t>(y, x);
                    QCOMPARE(v, std::uint8_t(want.mask[std::size_t(y) * 37 + x] ? 255 : 0));
                    area += v != 0;
                }
            QCOMPARE(d.value("area_px").toDouble(), double(area));
            // The polygons are exactly what /segment gives for the same mask.
            engine::SegmentResult as_segment;
            engine::MaskCandidate c;
            c.width = 37;
            c.height = 29;
            c.mask = want.mask;
            as_segment.candidates.push_back(c);
            const QJsonValue segment_polygons =
                wire::segment_result_to_json("x", as_segment).value("candidates").toArray()[0].toObject().value("polygons");
            QCOMPARE(d.value("polygons"), segment_polygons);
            QVERIFY(!d.value("polygons").toArray().isEmpty());
        }
        // The second mask has a hole: one polygon with one hole.
        QCOMPARE(detections[1].toObject().value("polygons").toArray()[0].toObject().value("holes").toArray().size(), 1);

        QString error;
        const auto back = wire::detect_reply_from_json(json, &error);
        QVERIFY2(back, qPrintable(error));
        compare_results(*back, reply, true);
        QCOMPARE(back->duration_ms, reply.duration_ms);
    }

    void detectAnswerWithoutMasks() {
        const DetectReply reply = sample_reply();
        const QJsonObject json = through_text(wire::detect_result_to_json("i", reply, {"car", {}}, {}, false));
        for (const QJsonValue& v : json.value("detections").toArray()) {
            QVERIFY(!v.toObject().contains("mask_png_base64"));
            QVERIFY(!v.toObject().contains("polygons"));
            QVERIFY(v.toObject().value("area_px").toDouble() > 0);  // still reported
        }
        QString error;
        const auto back = wire::detect_reply_from_json(json, &error);
        QVERIFY2(back, qPrintable(error));
        compare_results(*back, reply, false);
    }

    void malformedAnswerNamesThePlace() {
        QJsonObject json = wire::detect_result_to_json("i", sample_reply(), {"car", {}}, {}, true);
        QJsonArray detections = json.value("detections").toArray();
        QJsonObject second = detections[1].toObject();
        second["mask_png_base64"] = QString::fromLatin1(QByteArray("not a png").toBase64());
        detections[1] = second;
        json["detections"] = detections;
        QString error;
        QVERIFY(!wire::detect_reply_from_json(json, &error));
        QVERIFY2(error.contains("detections[1]"), qPrintable(error));
    }

    void errorCodes() {
        QCOMPARE(wire::error_code_for(BackendError::BadInput), QStringLiteral("bad_request"));
        QCOMPARE(wire::error_code_for(BackendError::NotLoaded), QStringLiteral("not_loaded"));
        for (BackendError e : {BackendError::NotLoaded, BackendError::Refused, BackendError::Busy, BackendError::NoLastModel,
                               BackendError::BadInput, BackendError::UnknownImage, BackendError::Cancelled, BackendError::Unreachable,
                               BackendError::Failed})
            QCOMPARE(wire::backend_error_from_code(wire::error_code_for(e)), e);
        QCOMPARE(wire::backend_error_from_code("something_new"), BackendError::Failed);
        QCOMPARE(wire::http_status_for(wire::backend_error_from_code("bad_request")), 400);
    }
};

QTEST_GUILESS_MAIN(TestControlApiWire)
#include "test_control_api_wire.moc"
